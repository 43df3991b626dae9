// The reference server: the whole InstaNet app over TCP, byte-compatible with the course client.
export { startServer, type RunningServer } from './server.ts';
export { resolveServerOptions, InvalidServerOptionError, type ServerOptions, type ServerMode, type ResolvedServerOptions } from './options.ts';
export { SERVER_DEFAULTS } from './limits.ts';
export { createServerLogger, LOG_FORMATS, type LogFormat } from './logger.ts';
export { seedUsers, DEFAULT_SEED_USERS, SEED_PASSWORD } from './seed-users.ts';
export { ServerError, CorruptDataFileError, StorageError, ShuttingDownError, StartupError } from './errors.ts';
export { IdleTimeoutError, ConnectionLostError } from './frame-reader.ts';
export { RequestDeadlineError } from './request-deadline.ts';
export { SERVER_TEXT } from './replies.ts';
