import { createServerLogger, startServer } from '../../../reference/server/index.ts';
import { EXIT } from '../exit-codes.ts';
import { LOG_LEVELS, type ServeFlags } from './serve.ts';

/** The line printed on stdout once the server listens; tools wait for it (`--port 0` tells the port here). */
export function listeningLine(host: string, port: number): string {
  return `InstaNet reference server listening on ${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function runServeCommand(flags: ServeFlags): Promise<void> {
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
      process.exit(EXIT.interrupted);
    }
    stopping = true;
    logger.info({ signal }, 'stopping: no new connections, finishing in-flight requests');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(EXIT.environment);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // The server is resilient per connection; a bug that still escapes is logged, not fatal.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  await new Promise<never>(() => undefined);
}
