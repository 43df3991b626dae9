import { Command, Option } from 'commander';
import pc from 'picocolors';
import { summarizeEvent } from '../../transcript/event-summary.ts';
import { formatHostPort, parseHostPort, positiveInteger } from '../../transcript/host-port.ts';
import { startProxy } from '../../transcript/proxy.ts';
import { TranscriptRecorder } from '../../transcript/recorder.ts';
import { formatTime } from '../../transcript/render-terminal.ts';
import { ViolationChecker } from '../../transcript/violations.ts';

interface ProxyFlags {
  listen: { host: string; port: number };
  upstream: { host: string; port: number };
  record?: string;
  fragment?: number;
  delay?: number;
  verbose?: boolean;
  connectTimeout: number;
  shape: 'both' | 'c2s' | 's2c';
}

/** Printed once listening; scripts and tests read the port from it (with --listen 0). */
export function proxyListeningLine(host: string, port: number, upstream: string): string {
  return `InstaNet proxy listening on ${formatHostPort(host, port)} -> ${upstream}`;
}

export function proxyCommand(): Command {
  return new Command('proxy')
    .description('record every byte between a real client and a server (both directions, decoded), printing protocol violations as they happen')
    .requiredOption('--listen <[host:]port>', 'where clients connect (0 picks a free port)', (v) => parseHostPort(v, { allowZero: true }))
    .requiredOption('--upstream <host:port>', 'the server to forward to', (v) => parseHostPort(v))
    .option('--record <file>', 'write the transcript (JSON Lines) here: saved after each connection closes and when the proxy stops')
    .option('--fragment <n>', 'fault injection: forward in writes of at most n bytes', positiveInteger('--fragment'))
    .option('--delay <ms>', 'fault injection: wait this long between two writes', positiveInteger('--delay', 0))
    .addOption(new Option('--shape <dir>', 'which direction --fragment/--delay apply to: c2s tests the server, s2c the client').choices(['both', 'c2s', 's2c']).default('both'))
    .option('--connect-timeout <ms>', 'give up connecting upstream after this long', positiveInteger('--connect-timeout'), 5000)
    .option('-v, --verbose', 'print every event, not only connections and violations')
    .addHelpText(
      'after',
      '\nExample: put the proxy between the course client and a student server, then inspect:\n' +
        '  instanet proxy --listen 5001 --upstream 127.0.0.1:5002 --record session.jsonl\n' +
        '  python3 client.py --port 5001          # use the app, then Ctrl-C the proxy\n' +
        '  instanet transcript show session.jsonl\n',
    )
    .action(async (flags: ProxyFlags) => {
      const upstream = formatHostPort(flags.upstream.host, flags.upstream.port);
      const recorder = new TranscriptRecorder({ source: 'proxy', title: `proxy to ${upstream}`, target: upstream });
      const checker = new ViolationChecker();
      const out = (line: string): void => {
        process.stdout.write(`${line}\n`);
      };
      recorder.onEvent((event) => {
        const found = checker.check(event);
        if (flags.verbose) {
          const arrow = event.dir === 'c2s' ? pc.cyan('client → server') : event.dir === 's2c' ? pc.green('server → client') : pc.dim('               ');
          out(`${pc.dim(formatTime(event.t).padStart(10))} ${pc.bold(`[${event.conn}]`)} ${arrow} ${summarizeEvent(event, 160)}`);
        }
        for (const v of found) {
          const tag = v.severity === 'error' ? pc.red('✗ violation') : pc.yellow('! warning');
          out(`${pc.dim(formatTime(v.t).padStart(10))} ${pc.bold(`[${v.conn}]`)} ${tag} ${v.requirements.join(', ')} (${v.dir === 'c2s' ? 'client' : 'server'}): ${v.message}`);
        }
      });
      // Write early and after every connection, so a bad path fails now and a crash loses little.
      let saving = Promise.resolve();
      const save = (): Promise<void> => {
        const file = flags.record;
        if (!file) return saving;
        saving = saving.then(() => recorder.write(file));
        return saving;
      };
      await save();
      recorder.onEvent((event) => {
        if (event.kind === 'close' && recorder.connection(event.conn).isClosed) {
          save().catch((error: unknown) => process.stderr.write(`instanet proxy: autosave failed: ${(error as Error).message}\n`));
        }
      });
      const proxy = await startProxy({
        listenHost: flags.listen.host,
        listenPort: flags.listen.port,
        upstreamHost: flags.upstream.host,
        upstreamPort: flags.upstream.port,
        recorder,
        connectTimeoutMs: flags.connectTimeout,
        reshape: { fragment: flags.fragment, delayMs: flags.delay },
        reshapeDir: flags.shape,
        onConnection: ({ conn, state, detail }) => {
          if (flags.verbose) return; // the event lines already say it
          if (state === 'open') out(`${pc.bold(`[${conn}]`)} connected from ${detail}`);
          else if (state === 'closed') out(`${pc.bold(`[${conn}]`)} closed`);
          else out(`${pc.bold(`[${conn}]`)} ${pc.red('upstream unreachable')}: ${detail}`);
        },
      });
      const shaping = [flags.fragment ? `${flags.fragment}-byte writes` : '', flags.delay ? `${flags.delay} ms apart` : '', flags.fragment || flags.delay ? (flags.shape === 'both' ? 'both directions' : flags.shape === 'c2s' ? 'client to server only' : 'server to client only') : ''].filter(Boolean).join(', ');
      out(proxyListeningLine(proxy.host, proxy.port, upstream));
      out(pc.dim(`  ${flags.record ? `recording to ${flags.record}` : 'not recording (use --record FILE)'}${shaping ? `; reshaping into ${shaping}` : ''}; Ctrl-C stops`));

      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) {
          process.stderr.write('instanet proxy: second signal, exiting without writing\n');
          process.exit(130);
        }
        stopping = true;
        void (async () => {
          try {
            await proxy.close();
            await saving.catch(() => undefined);
            const stats = `${recorder.events.length} events on ${proxy.accepted} connection${proxy.accepted === 1 ? '' : 's'}`;
            const violations = checker.violations.filter((v) => v.severity === 'error').length;
            if (flags.record) {
              await recorder.write(flags.record);
              out(`instanet proxy: ${signal}: wrote ${stats} to ${flags.record} (${violations} violation${violations === 1 ? '' : 's'})`);
            } else {
              out(`instanet proxy: ${signal}: saw ${stats} (${violations} violation${violations === 1 ? '' : 's'})`);
            }
            process.exit(0);
          } catch (error) {
            process.stderr.write(`instanet proxy: could not write the transcript: ${(error as Error).message}\n`);
            process.exit(3);
          }
        })();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      await new Promise<never>(() => undefined);
    });
}
