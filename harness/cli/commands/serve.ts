import { Command, InvalidArgumentError, Option } from 'commander';
import { SERVER_DEFAULTS } from '../../../reference/server/limits.ts';
import type { LogFormat } from '../../../reference/server/logger.ts';
import type { ServerMode } from '../../../reference/server/options.ts';
import { DEFAULT_SEED_USERS } from '../../../reference/server/seed-users.ts';

// `instanet serve`: the flags; the server (and pino) is imported when the action starts (./serve-action.ts).

// Spelled out rather than imported from logger.ts, which loads pino; the type keeps the two in step.
const LOG_FORMATS = ['pretty', 'json'] as const satisfies readonly LogFormat[];
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export interface ServeFlags {
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

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return parsed;
  };
}

export function serveCommand(): Command {
  return new Command('serve')
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
      const { runServeCommand } = await import('./serve-action.ts');
      await runServeCommand(flags);
    });
}
