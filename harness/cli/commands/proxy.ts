import { Command, Option } from 'commander';
import { parseHostPort, positiveInteger } from '../../transcript/host-port.ts';

// `instanet proxy`: the flags; the proxy itself is imported when the action starts (./proxy-action.ts).

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

export interface ProxyFlags {
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
    .action(async (flags: ProxyFlags) => (await import('./proxy-action.ts')).runProxyCommand(flags));
}
