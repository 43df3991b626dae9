import pc from 'picocolors';
import { summarizeEvent } from '../../transcript/event-summary.ts';
import type { TranscriptEvent } from '../../transcript/format.ts';
import { formatHostPort } from '../../transcript/host-port.ts';
import { startProxy, type ProxyOptions, type RunningProxy } from '../../transcript/proxy.ts';
import { TranscriptRecorder } from '../../transcript/recorder.ts';
import { formatTime } from '../../transcript/render-terminal.ts';
import { TranscriptFileStream } from '../../transcript/transcript-file-stream.ts';
import { ViolationThrottle } from '../../transcript/violation-throttle.ts';
import { ViolationChecker, type Violation } from '../../transcript/violations.ts';
import { EXIT } from '../exit-codes.ts';
import type { ProxyFlags } from './proxy.ts';

/** Printed once listening; scripts and tests read the port from it (with --listen 0). */
export function proxyListeningLine(host: string, port: number, upstream: string): string {
  return `InstaNet proxy listening on ${formatHostPort(host, port)} -> ${upstream}`;
}

/** Records until Ctrl-C / SIGTERM, then writes the transcript and exits; never returns. */
export async function runProxyCommand(flags: ProxyFlags): Promise<never> {
  const upstream = formatHostPort(flags.upstream.host, flags.upstream.port);
  const recorder = proxyRecorder(flags, upstream);
  const violations = printViolations(recorder, flags);
  // Opened before listening, so a bad path fails now; from here on each event is a line on disk.
  const file = flags.record ? await TranscriptFileStream.open(flags.record, recorder) : undefined;
  const proxy = await startProxy(proxyOptions(flags, recorder));
  const shaping = shapingText(flags);
  say(proxyListeningLine(proxy.host, proxy.port, upstream));
  say(pc.dim(`  ${flags.record ? `recording to ${flags.record}` : 'not recording (use --record FILE)'}${shaping ? `; reshaping into ${shaping}` : ''}; Ctrl-C stops`));
  onStopSignal((signal) => stop(signal, { proxy, recorder, violations, file }));
  return new Promise<never>(() => undefined);
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function proxyRecorder(flags: ProxyFlags, upstream: string): TranscriptRecorder {
  // Events are not kept in memory: they stream to the file, and the caps bound what is recorded.
  return new TranscriptRecorder(
    { source: 'proxy', title: `proxy to ${upstream}`, target: upstream },
    { retainEvents: false, maxRecordedBytes: flags.maxRecordBytes, maxTotalRecordedBytes: flags.maxRecordTotal },
  );
}

function proxyOptions(flags: ProxyFlags, recorder: TranscriptRecorder): ProxyOptions {
  return {
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
      if (state === 'open') say(`${pc.bold(`[${conn}]`)} connected from ${detail}`);
      else if (state === 'closed') say(`${pc.bold(`[${conn}]`)} closed`);
      else say(`${pc.bold(`[${conn}]`)} ${pc.red('upstream unreachable')}: ${detail}`);
    },
  };
}

/** "5-byte writes, 10 ms apart, both directions", or '' when nothing is reshaped. */
function shapingText(flags: ProxyFlags): string {
  const direction = flags.shape === 'both' ? 'both directions' : flags.shape === 'c2s' ? 'client to server only' : 'server to client only';
  return [flags.fragment ? `${flags.fragment}-byte writes` : '', flags.delay ? `${flags.delay} ms apart` : '', flags.fragment || flags.delay ? direction : ''].filter(Boolean).join(', ');
}

interface ViolationConsole {
  /** Violations of severity error seen so far. */
  readonly errors: number;
  /** Stops the once-a-second summing and prints every count still held back. */
  flush(): void;
}

/** Prints each violation as it is found (throttled per connection) and, with --verbose, every event. */
function printViolations(recorder: TranscriptRecorder, flags: ProxyFlags): ViolationConsole {
  const checker = new ViolationChecker();
  const throttle = new ViolationThrottle(flags.violationsPerSecond);
  let errors = 0;
  const saySuppressed = (conn: string, suppressed: number): void => {
    if (suppressed > 0) say(`${pc.bold(`[${conn}]`)} ${pc.dim(`… ${suppressed} more violation${suppressed === 1 ? '' : 's'} suppressed (at most ${flags.violationsPerSecond} lines per second per connection)`)}`);
  };
  recorder.onEvent((event) => {
    const found = checker.check(event);
    // The checker's list would grow with every violation of a long run; only the count is needed.
    checker.violations.length = 0;
    if (flags.verbose) say(eventLine(event));
    for (const v of found) {
      if (v.severity === 'error') errors += 1;
      const { print, suppressedBefore } = throttle.admit(v.conn);
      saySuppressed(v.conn, suppressedBefore);
      if (print) say(violationLine(v));
    }
    if (event.kind === 'close' && recorder.connection(event.conn).isClosed) saySuppressed(event.conn, throttle.drainConnection(event.conn));
  });
  const summing = setInterval(() => {
    for (const { conn, suppressed } of throttle.drain()) saySuppressed(conn, suppressed);
  }, 1000);
  summing.unref();
  return {
    get errors() {
      return errors;
    },
    flush() {
      clearInterval(summing);
      for (const { conn, suppressed } of throttle.drain(true)) saySuppressed(conn, suppressed);
    },
  };
}

function eventLine(event: TranscriptEvent): string {
  const arrow = event.dir === 'c2s' ? pc.cyan('client → server') : event.dir === 's2c' ? pc.green('server → client') : pc.dim('               ');
  return `${pc.dim(formatTime(event.t).padStart(10))} ${pc.bold(`[${event.conn}]`)} ${arrow} ${summarizeEvent(event, 160)}`;
}

function violationLine(v: Violation): string {
  const tag = v.severity === 'error' ? pc.red('✗ violation') : pc.yellow('! warning');
  return `${pc.dim(formatTime(v.t).padStart(10))} ${pc.bold(`[${v.conn}]`)} ${tag} ${v.requirements.join(', ')} (${v.dir === 'c2s' ? 'client' : 'server'}): ${v.message}`;
}

/** The first Ctrl-C / SIGTERM stops cleanly; a second one exits at once without writing. */
function onStopSignal(stop: (signal: NodeJS.Signals) => Promise<never>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write('instanet proxy: second signal, exiting without writing\n');
      process.exit(EXIT.interrupted);
    }
    stopping = true;
    void stop(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

interface Session {
  proxy: RunningProxy;
  recorder: TranscriptRecorder;
  violations: ViolationConsole;
  file: TranscriptFileStream | undefined;
}

/** Closes the proxy, writes the transcript, says what was seen, exits 0 (3 when the file cannot be written). */
async function stop(signal: NodeJS.Signals, { proxy, recorder, violations, file }: Session): Promise<never> {
  try {
    await proxy.close();
    violations.flush();
    const stats = `${recorder.eventCount} events on ${proxy.accepted} connection${proxy.accepted === 1 ? '' : 's'}`;
    const counted = `${violations.errors} violation${violations.errors === 1 ? '' : 's'}`;
    if (file) {
      await file.close();
      say(`instanet proxy: ${signal}: wrote ${stats} to ${file.file} (${counted})`);
    } else {
      say(`instanet proxy: ${signal}: saw ${stats} (${counted})`);
    }
    process.exit(EXIT.ok);
  } catch (error) {
    process.stderr.write(`instanet proxy: could not write the transcript: ${(error as Error).message}\n`);
    process.exit(EXIT.environment);
  }
}
