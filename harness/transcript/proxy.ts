import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { Forwarder, type Reshape } from './forwarder.ts';
import { TranscriptError } from './errors.ts';
import type { TranscriptRecorder } from './recorder.ts';

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
  const { recorder } = options;
  const reshape = options.reshape ?? {};
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const open = new Set<{ client: Socket; upstream: Socket; stop(): void }>();
  let accepted = 0;
  let stopping = false;
  const peakBuffered = { c2s: 0, s2c: 0 };
  const notePeaks = (toServer: Forwarder, toClient: Forwarder): void => {
    peakBuffered.c2s = Math.max(peakBuffered.c2s, toServer.peakBuffered);
    peakBuffered.s2c = Math.max(peakBuffered.s2c, toClient.peakBuffered);
  };

  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    accepted += 1;
    const id = `c${accepted}`;
    const conn = recorder.connection(id);
    const upstream = connect({ host: options.upstreamHost, port: options.upstreamPort, allowHalfOpen: true });
    const dir = options.reshapeDir ?? 'both';
    const toServer = new Forwarder(client, upstream, dir === 's2c' ? {} : reshape);
    const toClient = new Forwarder(upstream, client, dir === 'c2s' ? {} : reshape);
    // Small writes must leave as separate segments, or Nagle would undo the fragmentation.
    if (toServer.reshaping) upstream.setNoDelay(true);
    if (toClient.reshaping) client.setNoDelay(true);
    let upstreamConnected = false;
    let finished = false;
    const entry = {
      client,
      upstream,
      stop: () => {
        toServer.stop();
        toClient.stop();
        client.destroy();
        upstream.destroy();
      },
    };
    open.add(entry);
    const finish = (): void => {
      if (finished || !client.destroyed || !upstream.destroyed) return;
      finished = true;
      open.delete(entry);
      conn.finish('connection closed');
      if (upstreamConnected) options.onConnection?.({ conn: id, state: 'closed' });
    };

    const timer = setTimeout(() => {
      if (!upstreamConnected) upstream.destroy(new Error(`no connection to upstream within ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    timer.unref();

    upstream.once('connect', () => {
      upstreamConnected = true;
      clearTimeout(timer);
      conn.connected(`client ${client.remoteAddress}:${client.remotePort}`);
      options.onConnection?.({ conn: id, state: 'open', detail: `${client.remoteAddress}:${client.remotePort}` });
      client.resume();
    });

    client.on('data', (chunk: Buffer) => {
      conn.sent(chunk);
      toServer.push(chunk);
      notePeaks(toServer, toClient);
    });
    upstream.on('data', (chunk: Buffer) => {
      conn.received(chunk);
      toClient.push(chunk);
      notePeaks(toServer, toClient);
    });
    client.on('end', () => {
      conn.closed('c2s', 'client sent FIN');
      toServer.end();
    });
    upstream.on('end', () => {
      conn.closed('s2c', 'server sent FIN');
      toClient.end();
    });
    client.on('error', (error) => {
      conn.closed('c2s', `client connection error: ${describeSocketError(error)}`);
      // Pass an abort on as an abort (RST), so the server sees what the client did.
      if (upstreamConnected && !upstream.destroyed) {
        conn.closed('s2c', 'proxy aborted the server side after the client error', { synthetic: true });
        upstream.resetAndDestroy();
      }
    });
    upstream.on('error', (error) => {
      if (!upstreamConnected) {
        clearTimeout(timer);
        const detail = `upstream ${options.upstreamHost}:${options.upstreamPort}: ${describeSocketError(error)}`;
        conn.note(`proxy could not connect to ${detail}`);
        options.onConnection?.({ conn: id, state: 'upstream-failed', detail });
        client.destroy();
        return;
      }
      conn.closed('s2c', `server connection error: ${describeSocketError(error)}`);
      if (!client.destroyed) {
        conn.closed('c2s', 'proxy aborted the client side after the server error', { synthetic: true });
        client.resetAndDestroy();
      }
    });
    // Reached without 'end' or 'error' only when the proxy itself tore the socket down.
    client.on('close', () => {
      if (upstreamConnected) conn.closed('c2s', stopping ? 'proxy stopped' : 'connection torn down', { synthetic: true });
      if (!upstreamConnected) upstream.destroy();
      finish();
    });
    upstream.on('close', () => {
      if (upstreamConnected) conn.closed('s2c', stopping ? 'proxy stopped' : 'connection torn down', { synthetic: true });
      finish();
    });
  });

  server.on('error', () => {
    // Errors after listen() (rare: EMFILE on accept) must not crash the proxy; the client side sees them.
  });

  const host = options.listenHost ?? '127.0.0.1';
  try {
    server.listen(options.listenPort, host);
    await once(server, 'listening');
  } catch (error) {
    throw new ProxyListenError(`cannot listen on ${host}:${options.listenPort}: ${describeSocketError(error)}`, error);
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.listenPort;

  return {
    host,
    port,
    get accepted() {
      return accepted;
    },
    get peakBuffered() {
      return { ...peakBuffered };
    },
    async close() {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const entry of [...open]) entry.stop();
      await closed;
      recorder.finish('proxy stopped');
    },
  };
}
