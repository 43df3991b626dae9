import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_SEED_USERS,
  LOG_FORMATS,
  SERVER_DEFAULTS,
  createServerLogger,
  startServer,
  type LogFormat,
  type ServerMode,
} from '../../../reference/server/index.ts';

interface ServeFlags {
  host: string;
  port: number;
  data: string;
  seedUsers: number;
  mode: ServerMode;
  logFormat: LogFormat;
  logLevel: string;
  maxRequestBytes: number;
  maxImageBytes: number;
  idleTimeoutMs: number;
  requestTimeoutMs: number;
  imageBytesPerSecond: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  ackGapMs: number;
  shutdownTimeoutMs: number;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return parsed;
  };
}

/** The line printed on stdout once the server listens; tools wait for it (`--port 0` tells the port here). */
export function listeningLine(host: string, port: number): string {
  return `InstaNet reference server listening on ${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the reference InstaNet server (the course app over TCP, byte-compatible with the course client)')
    .option('--host <host>', 'address to bind', SERVER_DEFAULTS.host)
    .option('--port <port>', 'port to bind; 0 picks a free one and prints it', integer(0, 65535), SERVER_DEFAULTS.port)
    .option('--data <dir>', 'data folder in the course layout (users/, posts/, messages/, images/)', './data')
    .option('--seed-users <n>', 'users created when the folder has no users.json (user1..userN, password 123)', integer(0), DEFAULT_SEED_USERS)
    .addOption(
      new Option('--mode <mode>', 'strict: login first, act only as yourself, no passwords out; course: the starter\'s permissive behaviour')
        .choices(['strict', 'course'])
        .default('strict'),
    )
    .addOption(new Option('--log-format <format>', 'one line per request').choices([...LOG_FORMATS]).default('pretty'))
    .addOption(new Option('--log-level <level>', 'least severe level logged').choices([...LOG_LEVELS]).default('info'))
    .option('--max-request-bytes <n>', 'largest JSON request (LIM-1)', integer(2), SERVER_DEFAULTS.maxJsonBytes)
    .option('--max-image-bytes <n>', 'largest image (IMG-7)', integer(0), SERVER_DEFAULTS.maxImageBytes)
    .option('--idle-timeout-ms <ms>', 'drop a half-sent request after this long without a byte (LIM-2)', integer(1), SERVER_DEFAULTS.idleTimeoutMs)
    .option('--request-timeout-ms <ms>', 'a started request must be complete this long after its first byte; new bytes do not extend it', integer(1), SERVER_DEFAULTS.requestTimeoutMs)
    .option('--image-bytes-per-second <n>', 'an image may take --request-timeout-ms plus its length at this rate', integer(1), SERVER_DEFAULTS.imageBytesPerSecond)
    .option('--max-connections <n>', 'concurrent connections; more are refused with an error (LIM-3)', integer(1), SERVER_DEFAULTS.maxConnections)
    .option('--max-connections-per-ip <n>', 'concurrent connections from one IP address; more are refused with an error (LIM-3)', integer(1), SERVER_DEFAULTS.maxConnectionsPerIp)
    .option('--ack-gap-ms <ms>', 'pause between the image acknowledgement and the final reply (IMG-6)', integer(0), SERVER_DEFAULTS.ackGapMs)
    .option('--shutdown-timeout-ms <ms>', 'how long SIGINT/SIGTERM waits for in-flight requests', integer(0), SERVER_DEFAULTS.shutdownTimeoutMs)
    .action(async (flags: ServeFlags) => {
      const logger = createServerLogger({ format: flags.logFormat, level: flags.logLevel as (typeof LOG_LEVELS)[number] });
      const server = await startServer({
        host: flags.host,
        port: flags.port,
        dataDir: flags.data,
        mode: flags.mode,
        seedUsers: flags.seedUsers,
        maxJsonBytes: flags.maxRequestBytes,
        maxImageBytes: flags.maxImageBytes,
        idleTimeoutMs: flags.idleTimeoutMs,
        requestTimeoutMs: flags.requestTimeoutMs,
        imageBytesPerSecond: flags.imageBytesPerSecond,
        maxConnections: flags.maxConnections,
        maxConnectionsPerIp: flags.maxConnectionsPerIp,
        ackGapMs: flags.ackGapMs,
        shutdownTimeoutMs: flags.shutdownTimeoutMs,
        logger,
      });
      process.stdout.write(`${listeningLine(server.host, server.port)}\n`);

      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          // A second signal means "now": the in-flight requests are abandoned.
          logger.warn({ signal }, 'second signal: exiting without waiting');
          process.exit(130);
        }
        stopping = true;
        logger.info({ signal }, 'stopping: no new connections, finishing in-flight requests');
        server.close().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      // The server is resilient per connection; a bug that still escapes is logged, not fatal.
      process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
      await new Promise<never>(() => undefined);
    });
}
