import { createServer, type Server, type Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import { encodeJson } from '../../spec/codec/index.ts';
import { AddressSlots, addressKey } from './address-slots.ts';
import { Connection } from './connection.ts';
import { StartupError } from './errors.ts';
import { resolveServerOptions, type ResolvedServerOptions, type ServerMode, type ServerOptions } from './options.ts';
import { SERVER_TEXT, errorReply } from './replies.ts';
import { DataStore } from './store/data-store.ts';

export interface RunningServer {
  /** The address actually bound (e.g. '127.0.0.1'). */
  host: string;
  /** The port actually bound (the OS's choice when 0 was asked for). */
  port: number;
  /** Absolute path of the data folder. */
  dataDir: string;
  mode: ServerMode;
  /** Stops accepting, lets in-flight requests finish (bounded by shutdownTimeoutMs), flushes the store. */
  close(): Promise<void>;
}

/** Backlog of pending connections: the kernel caps it at net.core.somaxconn anyway. */
const LISTEN_BACKLOG = 4096;
const REFUSED_LINGER_MS = 1_000;

/** Starts the reference server: prepares the data folder, binds, and serves until close(). */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const resolved = resolveServerOptions(options);
  const log = resolved.logger === false ? pino({ level: 'silent' }) : resolved.logger;
  const store = new DataStore(resolved.dataDir);
  try {
    const init = await store.init(resolved.seedUsers);
    log.debug({ dataDir: store.dataDir, ...init }, 'data folder ready');
  } catch (error) {
    throw new StartupError(`cannot prepare data folder ${store.dataDir}: ${(error as Error).message}`, { cause: error });
  }

  const connections = new Set<Connection>();
  const slots = new AddressSlots(resolved.maxConnectionsPerIp);
  let nextId = 1;
  let closing: Promise<void> | undefined;

  // allowHalfOpen: a client may send its requests and shut its side down (`nc -N`, a script piping
  // a file); it still gets every reply, and we end the connection ourselves.
  const server = createServer({ allowHalfOpen: true });
  server.on('connection', (socket) => {
    socket.on('error', () => undefined); // reported by the connection's reader; never fatal here
    if (closing) {
      socket.destroy();
      return;
    }
    if (connections.size >= resolved.maxConnections) {
      refuse(socket, log, SERVER_TEXT.tooManyConnections, resolved.maxConnections);
      return;
    }
    const address = addressKey(socket.remoteAddress);
    if (!slots.take(address)) {
      refuse(socket, log, SERVER_TEXT.tooManyFromAddress, resolved.maxConnectionsPerIp);
      return;
    }
    const connection = new Connection(nextId++, socket, store, resolved, log);
    connections.add(connection);
    void connection.closed.then(() => {
      connections.delete(connection);
      slots.release(address);
    });
    connection.start();
  });

  await listen(server, resolved);
  server.on('error', (error) => log.error({ err: error }, 'listener error'));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new StartupError('server bound to no TCP address');
  log.info({ host: address.address, port: address.port, dataDir: store.dataDir, mode: resolved.mode }, 'listening');

  async function shutdown(): Promise<void> {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const connection of connections) connection.shutdown();
    const allClosed = Promise.all([...connections].map((connection) => connection.closed));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), resolved.shutdownTimeoutMs);
    });
    const outcome = await Promise.race([allClosed.then(() => 'done' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      log.warn({ open: connections.size }, 'shutdown deadline passed; dropping remaining connections');
      for (const connection of connections) connection.destroy();
    }
    await stopped;
    await store.close();
    log.info('stopped');
  }

  return {
    host: address.address,
    port: address.port,
    dataDir: store.dataDir,
    mode: resolved.mode,
    close: () => (closing ??= shutdown()),
  };
}

function listen(server: Server, options: ResolvedServerOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      reject(new StartupError(`cannot listen on ${options.host}:${options.port}: ${error.message}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen({ host: options.host, port: options.port, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** LIM-3: one connection over a cap (in all, or from one address) gets an error reply and is closed. */
function refuse(socket: Socket, log: Logger, text: string, limit: number): void {
  log.warn({ limit, remote: socket.remoteAddress }, text);
  socket.resume();
  socket.end(encodeJson(errorReply(text)));
  const timer = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
