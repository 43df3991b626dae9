import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameSocket, encodeImageFrame, encodeJson, type JsonObject, type JsonValue } from '../../../spec/codec/index.ts';
import { startServer, type RunningServer } from '../server.ts';
import type { ServerOptions } from '../options.ts';

// Test helpers for the server's own tests: a byte-exact client over the spec codec and a server
// on a fresh temporary data folder. Every wait is bounded.

export const READ_TIMEOUT_MS = 10_000;

export class TestClient {
  readonly frames: FrameSocket;
  readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.frames = new FrameSocket(socket);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, READ_TIMEOUT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new TestClient(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  send(value: JsonValue): Promise<void> {
    return this.frames.write(encodeJson(value));
  }

  writeRaw(bytes: Uint8Array | string): Promise<void> {
    return this.frames.write(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
  }

  async read(timeoutMs = READ_TIMEOUT_MS): Promise<JsonObject> {
    return (await this.frames.readJson(timeoutMs)).value;
  }

  async readRaw(timeoutMs = READ_TIMEOUT_MS): Promise<{ value: JsonObject; raw: Buffer }> {
    return this.frames.readJson(timeoutMs);
  }

  async request(value: JsonValue, timeoutMs = READ_TIMEOUT_MS): Promise<JsonObject> {
    await this.send(value);
    return this.read(timeoutMs);
  }

  async login(username = 'user1', password = '123'): Promise<JsonObject> {
    return this.request({ action: 'login', username, password });
  }

  /** The whole image exchange; stops early (leaving later fields undefined) when a step is not a success. */
  async withImage(request: JsonValue, image: Buffer): Promise<{ first: JsonObject; ack?: JsonObject; final?: JsonObject }> {
    await this.send(request);
    const first = await this.read();
    if (first['status'] !== 'ready') return { first };
    await this.frames.write(encodeImageFrame(image));
    const ack = await this.read();
    if (ack['status'] !== 'success') return { first, ack };
    const final = await this.read();
    return { first, ack, final };
  }

  /** Resolves when the server closes the connection (or rejects after the timeout). */
  closedByServer(timeoutMs = READ_TIMEOUT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed || this.socket.readableEnded) {
        resolve();
        return;
      }
      const timer = setTimeout(() => reject(new Error('server did not close the connection')), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.socket.once('end', done);
      this.socket.once('close', done);
    });
  }

  close(): void {
    this.frames.destroy();
  }
}

export async function makeTempDir(prefix = 'instanet-server-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface TestServer {
  server: RunningServer;
  dataDir: string;
  client(): Promise<TestClient>;
  /** A client already logged in as the user. */
  loggedIn(user?: string): Promise<TestClient>;
  stop(): Promise<void>;
}

/** A server on port 0 with a fresh data folder; stop() closes every client made here and removes the folder. */
export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const root = options.dataDir === undefined ? await makeTempDir() : undefined;
  const dataDir = options.dataDir ?? join(root!, 'data');
  const server = await startServer({ host: '127.0.0.1', port: 0, ackGapMs: 5, ...options, dataDir });
  const clients: TestClient[] = [];
  const client = async () => {
    const made = await TestClient.connect(server.port);
    clients.push(made);
    return made;
  };
  return {
    server,
    dataDir: server.dataDir,
    client,
    async loggedIn(user = 'user1') {
      const made = await client();
      const reply = await made.login(user);
      if (reply['status'] !== 'success') throw new Error(`login as ${user} failed: ${JSON.stringify(reply)}`);
      return made;
    },
    async stop() {
      for (const made of clients) made.close();
      await server.close();
      if (root !== undefined) await rm(root, { recursive: true, force: true });
    },
  };
}
