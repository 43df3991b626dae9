import { Command, Option } from 'commander';
import pc from 'picocolors';
import { summarizeEvent } from '../../transcript/event-summary.ts';
import { formatHostPort, parseHostPort, positiveInteger } from '../../transcript/host-port.ts';
import { startProxy } from '../../transcript/proxy.ts';
import { TranscriptRecorder } from '../../transcript/recorder.ts';
import { formatTime } from '../../transcript/render-terminal.ts';
import { TranscriptFileStream } from '../../transcript/transcript-file-stream.ts';
import { ViolationThrottle } from '../../transcript/violation-throttle.ts';
import { ViolationChecker } from '../../transcript/violations.ts';

/**
 * Defaults of the proxy's caps. A course session records a few hundred KB per connection; a
 * flooding peer stops being recorded (not forwarded) at the per-direction cap.
 */
export const PROXY_DEFAULTS = Object.freeze({
  /** Transcript bytes per connection and direction; later bytes are counted, not recorded. */
  maxRecordBytes: 16 * 1024 * 1024,
  /** Transcript bytes in all; past it nothing more is recorded. */
  maxRecordTotal: 1024 * 1024 * 1024,
  /** Violation lines printed per connection per second; the rest are summed up in one line. */
  violationsPerSecond: 10,
});

interface ProxyFlags {
  listen: { host: string; port: number };
  upstream: { host: string; port: number };
  record?: string;
  fragment?: number;
  delay?: number;
  verbose?: boolean;
  connectTimeout: number;
  shape: 'both' | 'c2s' | 's2c';
  maxRecordBytes: number;
  maxRecordTotal: number;
  violationsPerSecond: number;
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
    .option('--record <file>', 'write the transcript (JSON Lines) here, streamed line by line as it is recorded')
    .option('--max-record-bytes <n>', 'record at most n transcript bytes per connection and direction; later bytes are forwarded but only counted, and a note says how many', positiveInteger('--max-record-bytes'), PROXY_DEFAULTS.maxRecordBytes)
    .option('--max-record-total <n>', 'record at most n transcript bytes in all', positiveInteger('--max-record-total'), PROXY_DEFAULTS.maxRecordTotal)
    .option('--violations-per-second <n>', 'print at most n violation lines per connection per second, then one "... more suppressed" line', positiveInteger('--violations-per-second'), PROXY_DEFAULTS.violationsPerSecond)
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
        '  instanet transcript show session.jsonl\n' +
        '\nMemory stays bounded whatever a peer floods: each direction is paused while the other side\n' +
        'has not drained, the transcript goes to disk as it is recorded, and recording stops (with a\n' +
        '"N bytes not recorded: cap reached" note) at --max-record-bytes / --max-record-total.\n',
    )
    .action(async (flags: ProxyFlags) => {
      const upstream = formatHostPort(flags.upstream.host, flags.upstream.port);
      // Events are not kept in memory: they stream to the file, and the caps bound what is recorded.
      const recorder = new TranscriptRecorder(
        { source: 'proxy', title: `proxy to ${upstream}`, target: upstream },
        { retainEvents: false, maxRecordedBytes: flags.maxRecordBytes, maxTotalRecordedBytes: flags.maxRecordTotal },
      );
      const checker = new ViolationChecker();
      const throttle = new ViolationThrottle(flags.violationsPerSecond);
      let errors = 0;
      const out = (line: string): void => {
        process.stdout.write(`${line}\n`);
      };
      const outSuppressed = (conn: string, suppressed: number): void => {
        if (suppressed > 0) out(`${pc.bold(`[${conn}]`)} ${pc.dim(`… ${suppressed} more violation${suppressed === 1 ? '' : 's'} suppressed (at most ${flags.violationsPerSecond} lines per second per connection)`)}`);
      };
      recorder.onEvent((event) => {
        const found = checker.check(event);
        // The checker's list would grow with every violation of a long run; only the count is needed.
        checker.violations.length = 0;
        if (flags.verbose) {
          const arrow = event.dir === 'c2s' ? pc.cyan('client → server') : event.dir === 's2c' ? pc.green('server → client') : pc.dim('               ');
          out(`${pc.dim(formatTime(event.t).padStart(10))} ${pc.bold(`[${event.conn}]`)} ${arrow} ${summarizeEvent(event, 160)}`);
        }
        for (const v of found) {
          if (v.severity === 'error') errors += 1;
          const { print, suppressedBefore } = throttle.admit(v.conn);
          outSuppressed(v.conn, suppressedBefore);
          if (!print) continue;
          const tag = v.severity === 'error' ? pc.red('✗ violation') : pc.yellow('! warning');
          out(`${pc.dim(formatTime(v.t).padStart(10))} ${pc.bold(`[${v.conn}]`)} ${tag} ${v.requirements.join(', ')} (${v.dir === 'c2s' ? 'client' : 'server'}): ${v.message}`);
        }
        if (event.kind === 'close' && recorder.connection(event.conn).isClosed) outSuppressed(event.conn, throttle.drainConnection(event.conn));
      });
      const summing = setInterval(() => {
        for (const { conn, suppressed } of throttle.drain()) outSuppressed(conn, suppressed);
      }, 1000);
      summing.unref();
      // Opened before listening, so a bad path fails now; from here on each event is a line on disk.
      const file = flags.record ? await TranscriptFileStream.open(flags.record, recorder) : undefined;
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
            clearInterval(summing);
            for (const { conn, suppressed } of throttle.drain(true)) outSuppressed(conn, suppressed);
            const stats = `${recorder.eventCount} events on ${proxy.accepted} connection${proxy.accepted === 1 ? '' : 's'}`;
            const violations = `${errors} violation${errors === 1 ? '' : 's'}`;
            if (file) {
              await file.close();
              out(`instanet proxy: ${signal}: wrote ${stats} to ${file.file} (${violations})`);
            } else {
              out(`instanet proxy: ${signal}: saw ${stats} (${violations})`);
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
