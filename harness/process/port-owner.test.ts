import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listenerOwnedBy } from './port-owner.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function listen(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    cleanups.push(() => server.close());
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

describe('listenerOwnedBy', () => {
  it('knows our own listening socket', async () => {
    const port = await listen();
    expect(await listenerOwnedBy(port, process.pid)).toBe(true);
  });

  it('finds a listener held by a descendant process', async () => {
    const child = spawn('python3', ['-c', 'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen()\nprint(s.getsockname()[1],flush=True)\ntime.sleep(30)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => child.kill('SIGKILL'));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('python did not report its port')), 10_000);
      child.stdout.once('data', (d: Buffer) => {
        clearTimeout(timer);
        resolve(Number(d.toString().trim()));
      });
    });
    expect(await listenerOwnedBy(port, child.pid!)).toBe(true);
    // The same port seen from a process tree that does not hold it: someone else's server.
    const bystander = spawn('sleep', ['30']);
    cleanups.push(() => bystander.kill('SIGKILL'));
    expect(await listenerOwnedBy(port, bystander.pid!)).toBe(false);
  });

  it('cannot tell when nothing listens', async () => {
    const port = await listen();
    cleanups.splice(0).forEach((c) => c());
    await new Promise((r) => setTimeout(r, 50));
    expect(await listenerOwnedBy(port, process.pid)).toBeUndefined();
  });
});
