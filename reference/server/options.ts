import type { Logger } from 'pino';
import { SERVER_DEFAULTS } from './limits.ts';
import { DEFAULT_SEED_USERS } from './seed-users.ts';

export type ServerMode = 'strict' | 'course';

export interface ServerOptions {
  host?: string;
  /** 0 lets the OS choose a free port; RunningServer.port tells which. */
  port?: number;
  dataDir: string;
  /** 'strict' (default): login first, act only as yourself, no passwords out (AUTH-4..6). 'course': the starter's permissiveness. */
  mode?: ServerMode;
  /** Users created when the data folder has no users.json (user1..userN, password '123'). */
  seedUsers?: number;
  maxJsonBytes?: number;
  maxImageBytes?: number;
  idleTimeoutMs?: number;
  /** A started request must be complete this long after its first byte (new bytes do not extend it). */
  requestTimeoutMs?: number;
  /** Slowest image upload rate the image deadline allows (requestTimeoutMs + length / rate). */
  imageBytesPerSecond?: number;
  maxConnections?: number;
  /** Concurrent connections from one IP address; more are answered with an error and closed. */
  maxConnectionsPerIp?: number;
  /** Gap between the image acknowledgement and the final reply (IMG-6); 0 only flushes. */
  ackGapMs?: number;
  /** Deadline for close() to finish in-flight requests. */
  shutdownTimeoutMs?: number;
  /** false: no logging at all. Default: a silent logger (the CLI passes its own). */
  logger?: Logger | false;
}

export interface ResolvedServerOptions {
  host: string;
  port: number;
  dataDir: string;
  mode: ServerMode;
  seedUsers: number;
  maxJsonBytes: number;
  maxImageBytes: number;
  idleTimeoutMs: number;
  requestTimeoutMs: number;
  imageBytesPerSecond: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  ackGapMs: number;
  shutdownTimeoutMs: number;
  logger: Logger | false;
}

export class InvalidServerOptionError extends RangeError {
  readonly code = 'INSTANET_ERR_INVALID_SERVER_OPTION';
}

function count(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidServerOptionError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  if (typeof options.dataDir !== 'string' || options.dataDir.length === 0) {
    throw new InvalidServerOptionError('dataDir is required');
  }
  const mode = options.mode ?? 'strict';
  if (mode !== 'strict' && mode !== 'course') throw new InvalidServerOptionError(`mode must be strict or course, got ${String(mode)}`);
  const port = count('port', options.port, SERVER_DEFAULTS.port);
  if (port > 65535) throw new InvalidServerOptionError(`port must be at most 65535, got ${port}`);
  return {
    host: options.host ?? SERVER_DEFAULTS.host,
    port,
    dataDir: options.dataDir,
    mode,
    seedUsers: count('seedUsers', options.seedUsers, DEFAULT_SEED_USERS),
    maxJsonBytes: count('maxJsonBytes', options.maxJsonBytes, SERVER_DEFAULTS.maxJsonBytes, 2),
    maxImageBytes: count('maxImageBytes', options.maxImageBytes, SERVER_DEFAULTS.maxImageBytes),
    idleTimeoutMs: count('idleTimeoutMs', options.idleTimeoutMs, SERVER_DEFAULTS.idleTimeoutMs, 1),
    requestTimeoutMs: count('requestTimeoutMs', options.requestTimeoutMs, SERVER_DEFAULTS.requestTimeoutMs, 1),
    imageBytesPerSecond: count('imageBytesPerSecond', options.imageBytesPerSecond, SERVER_DEFAULTS.imageBytesPerSecond, 1),
    maxConnections: count('maxConnections', options.maxConnections, SERVER_DEFAULTS.maxConnections, 1),
    maxConnectionsPerIp: count('maxConnectionsPerIp', options.maxConnectionsPerIp, SERVER_DEFAULTS.maxConnectionsPerIp, 1),
    ackGapMs: count('ackGapMs', options.ackGapMs, SERVER_DEFAULTS.ackGapMs),
    shutdownTimeoutMs: count('shutdownTimeoutMs', options.shutdownTimeoutMs, SERVER_DEFAULTS.shutdownTimeoutMs),
    logger: options.logger ?? false,
  };
}
