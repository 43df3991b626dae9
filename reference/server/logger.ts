import { pino, destination, type Logger, type LevelWithSilent } from 'pino';
import pinoPretty from 'pino-pretty';

export type LogFormat = 'pretty' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json'];

export interface ServerLoggerOptions {
  format: LogFormat;
  level?: LevelWithSilent;
  /** File descriptor to write to; the server's stdout is kept for the address line, so stderr by default. */
  fd?: number;
}

/**
 * The logger `instanet serve` uses. Pretty output runs pino-pretty in this thread (no worker):
 * the serve command is a long-running foreground process where a worker buys nothing, and a
 * synchronous stream keeps log lines and the address line in order.
 */
export function createServerLogger(options: ServerLoggerOptions): Logger {
  const level = options.level ?? 'info';
  const fd = options.fd ?? 2;
  if (options.format === 'json') {
    return pino({ level, base: { pid: process.pid } }, destination({ fd, sync: true }));
  }
  const stream = pinoPretty({
    destination: fd,
    sync: true,
    colorize: fd === 2 ? Boolean(process.stderr.isTTY) : Boolean(process.stdout.isTTY),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
  });
  return pino({ level }, stream);
}
