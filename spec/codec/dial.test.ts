import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { dialTcp, type DialFailures } from './dial.ts';

const failures: DialFailures = {
  timeout: () => new Error('timed out'),
  error: (error) => new Error(`failed: ${error.code}`),
};

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('dialTcp', () => {
  it('resolves with a connected socket whose errors are the owner\'s from then on', async () => {
    server = createServer((s) => s.end());
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const socket = await dialTcp({ host: '127.0.0.1', port, timeoutMs: 5000 }, failures);
    try {
      expect(socket.remotePort).toBe(port);
      expect(socket.listenerCount('error')).toBe(0);
    } finally {
      socket.destroy();
    }
  });

  it('rejects with the caller\'s error for a refused connection', async () => {
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    await expect(dialTcp({ host: '127.0.0.1', port, timeoutMs: 5000 }, failures)).rejects.toThrow('failed: ECONNREFUSED');
  });
});
