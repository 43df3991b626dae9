import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { Forwarder, type Reshape } from './forwarder.ts';
import { TranscriptError } from './errors.ts';
import type { ConnectionRecorder, TranscriptRecorder } from './recorder.ts';

export interface ProxyOptions {
  listenHost?: string;
  /** 0 picks a free port. */
  listenPort: number;
  upstreamHost: string;
  upstreamPort: number;
  recorder: TranscriptRecorder;
  reshape?: Reshape;
  /** Which direction the reshaping applies to (default both). */
  reshapeDir?: 'c2s' | 's2c' | 'both';
  /** Give up connecting upstream after this long (the client then sees its connection close). */
  connectTimeoutMs?: number;
  /** Told about connections opening and closing, for the console. */
  onConnection?: (info: { conn: string; state: 'open' | 'closed' | 'upstream-failed'; detail?: string }) => void;
}

export interface RunningProxy {
  host: string;
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /**
   * The most bytes ever waiting in the proxy to be written, per direction, over all connections: with
   * back-pressure it stays near the sockets' high-water marks whatever a peer floods.
   */
  readonly peakBuffered: { c2s: number; s2c: number };
  /** Stops accepting, tears down open connections, flushes the recorder (it is then safe to write). */
  close(): Promise<void>;
}

export class ProxyListenError extends TranscriptError {
  constructor(message: string, cause: unknown) {
    super('INSTANET_ERR_PROXY_LISTEN', message, { cause });
  }
}

function describeSocketError(error: unknown): string {
  const err = error as NodeJS.ErrnoException;
  return err.code ? `${err.code}${err.message && !err.message.includes(err.code) ? `: ${err.message}` : ''}` : String(err.message ?? err);
}

/**
 * A recording TCP proxy: every accepted client gets its own upstream connection and its own
 * connection id (c1, c2, ...). Bytes are recorded when they arrive, before being forwarded, so the
 * transcript's order is the causal order the proxy saw.
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const state: ProxyState = { options, open: new Set(), accepted: 0, stopping: false, peakBuffered: { c2s: 0, s2c: 0 } };
  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => relay(client, state));
  server.on('error', () => {
    // Errors after listen() (rare: EMFILE on accept) must not crash the proxy; the client side sees them.
  });
  const { host, port } = await listen(server, options);
  return runningProxy(server, state, host, port);
}

/** What the connections of one proxy share. */
interface ProxyState {
  readonly options: ProxyOptions;
  readonly open: Set<Link>;
  accepted: number;
  /** close() was called: a socket torn down from now on was stopped, not lost. */
  stopping: boolean;
  readonly peakBuffered: { c2s: number; s2c: number };
}

/** One accepted client, its upstream connection, and the forwarders between them. */
interface Link {
  readonly id: string;
  readonly conn: ConnectionRecorder;
  readonly client: Socket;
  readonly upstream: Socket;
  readonly toServer: Forwarder;
  readonly toClient: Forwarder;
  upstreamConnected: boolean;
  finished: boolean;
  stop(): void;
}

/** An accepted client: dial upstream, then forward and record both directions until both sides are gone. */
function relay(client: Socket, state: ProxyState): void {
  state.accepted += 1;
  const link = openLink(client, `c${state.accepted}`, state.options);
  state.open.add(link);
  const timer = connectTimeout(link, state.options.connectTimeoutMs ?? 5000);
  onUpstreamConnected(link, timer, state.options);
  forwardData(link, state.peakBuffered);
  passHalfCloses(link);
  passErrors(link, timer, state.options);
  onTeardown(link, state);
}

function openLink(client: Socket, id: string, options: ProxyOptions): Link {
  const conn = options.recorder.connection(id);
  const upstream = connect({ host: options.upstreamHost, port: options.upstreamPort, allowHalfOpen: true });
  const reshape = options.reshape ?? {};
  const dir = options.reshapeDir ?? 'both';
  const toServer = new Forwarder(client, upstream, dir === 's2c' ? {} : reshape);
  const toClient = new Forwarder(upstream, client, dir === 'c2s' ? {} : reshape);
  // Small writes must leave as separate segments, or Nagle would undo the fragmentation.
  if (toServer.reshaping) upstream.setNoDelay(true);
  if (toClient.reshaping) client.setNoDelay(true);
  return {
    id,
    conn,
    client,
    upstream,
    toServer,
    toClient,
    upstreamConnected: false,
    finished: false,
    stop: () => {
      toServer.stop();
      toClient.stop();
      client.destroy();
      upstream.destroy();
    },
  };
}

function connectTimeout(link: Link, connectTimeoutMs: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    if (!link.upstreamConnected) link.upstream.destroy(new Error(`no connection to upstream within ${connectTimeoutMs} ms`));
  }, connectTimeoutMs);
  timer.unref();
  return timer;
}

/** The client is paused on accept and only read once the server side is there to take its bytes. */
function onUpstreamConnected(link: Link, timer: NodeJS.Timeout, options: ProxyOptions): void {
  const { client, conn } = link;
  link.upstream.once('connect', () => {
    link.upstreamConnected = true;
    clearTimeout(timer);
    conn.connected(`client ${client.remoteAddress}:${client.remotePort}`);
    options.onConnection?.({ conn: link.id, state: 'open', detail: `${client.remoteAddress}:${client.remotePort}` });
    client.resume();
  });
}

function forwardData(link: Link, peakBuffered: ProxyState['peakBuffered']): void {
  const { conn, toServer, toClient } = link;
  const notePeaks = (): void => {
    peakBuffered.c2s = Math.max(peakBuffered.c2s, toServer.peakBuffered);
    peakBuffered.s2c = Math.max(peakBuffered.s2c, toClient.peakBuffered);
  };
  link.client.on('data', (chunk: Buffer) => {
    conn.sent(chunk);
    toServer.push(chunk);
    notePeaks();
  });
  link.upstream.on('data', (chunk: Buffer) => {
    conn.received(chunk);
    toClient.push(chunk);
    notePeaks();
  });
}

function passHalfCloses(link: Link): void {
  link.client.on('end', () => {
    link.conn.closed('c2s', 'client sent FIN');
    link.toServer.end();
  });
  link.upstream.on('end', () => {
    link.conn.closed('s2c', 'server sent FIN');
    link.toClient.end();
  });
}

function passErrors(link: Link, timer: NodeJS.Timeout, options: ProxyOptions): void {
  const { client, upstream, conn } = link;
  client.on('error', (error) => {
    conn.closed('c2s', `client connection error: ${describeSocketError(error)}`);
    // Pass an abort on as an abort (RST), so the server sees what the client did.
    if (link.upstreamConnected && !upstream.destroyed) {
      conn.closed('s2c', 'proxy aborted the server side after the client error', { synthetic: true });
      upstream.resetAndDestroy();
    }
  });
  upstream.on('error', (error) => {
    if (!link.upstreamConnected) {
      clearTimeout(timer);
      const detail = `upstream ${options.upstreamHost}:${options.upstreamPort}: ${describeSocketError(error)}`;
      conn.note(`proxy could not connect to ${detail}`);
      options.onConnection?.({ conn: link.id, state: 'upstream-failed', detail });
      client.destroy();
      return;
    }
    conn.closed('s2c', `server connection error: ${describeSocketError(error)}`);
    if (!client.destroyed) {
      conn.closed('c2s', 'proxy aborted the client side after the server error', { synthetic: true });
      client.resetAndDestroy();
    }
  });
}

/** The link is finished, and its connection closed in the transcript, once both sockets are gone. */
function onTeardown(link: Link, state: ProxyState): void {
  const { client, upstream, conn } = link;
  const finish = (): void => {
    if (link.finished || !client.destroyed || !upstream.destroyed) return;
    link.finished = true;
    state.open.delete(link);
    conn.finish('connection closed');
    if (link.upstreamConnected) state.options.onConnection?.({ conn: link.id, state: 'closed' });
  };
  // Reached without 'end' or 'error' only when the proxy itself tore the socket down.
  client.on('close', () => {
    if (link.upstreamConnected) conn.closed('c2s', state.stopping ? 'proxy stopped' : 'connection torn down', { synthetic: true });
    if (!link.upstreamConnected) upstream.destroy();
    finish();
  });
  upstream.on('close', () => {
    if (link.upstreamConnected) conn.closed('s2c', state.stopping ? 'proxy stopped' : 'connection torn down', { synthetic: true });
    finish();
  });
}

async function listen(server: Server, options: ProxyOptions): Promise<{ host: string; port: number }> {
  const host = options.listenHost ?? '127.0.0.1';
  try {
    server.listen(options.listenPort, host);
    await once(server, 'listening');
  } catch (error) {
    throw new ProxyListenError(`cannot listen on ${host}:${options.listenPort}: ${describeSocketError(error)}`, error);
  }
  const address = server.address();
  return { host, port: typeof address === 'object' && address ? address.port : options.listenPort };
}

function runningProxy(server: Server, state: ProxyState, host: string, port: number): RunningProxy {
  return {
    host,
    port,
    get accepted() {
      return state.accepted;
    },
    get peakBuffered() {
      return { ...state.peakBuffered };
    },
    async close() {
      state.stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const link of [...state.open]) link.stop();
      await closed;
      state.options.recorder.finish('proxy stopped');
    },
  };
}
