import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runBounded } from '../../process/run-bounded.ts';
import { CLIENT_DRIVER, withFreshPorts, type PortTaken } from './client-half.ts';
import { ProxyPortError } from '../errors.ts';
import type { ClientHalfResult } from './client-half.ts';

// The grader chooses the judge's proxy ports before the judge binds them; another process may take
// one in between. That clash is the kit's, so it must cost no check and never reach student code.

const scratches: string[] = [];
afterEach(() => {
  for (const dir of scratches.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'instanet-ports-'));
  scratches.push(dir);
  return dir;
}

function listen(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

describe('client half: a proxy port taken by another process', () => {
  it('the judge says which port was taken before any student code runs', async () => {
    const dir = scratch();
    const marker = path.join(dir, 'imported');
    // Importing this socket_utils would leave the marker: a clash must be found before the import.
    writeFileSync(path.join(dir, 'socket_utils.py'), `open(${JSON.stringify(marker)}, 'w').close()\n`);
    const holder = await listen();
    try {
      const taken = (holder.address() as net.AddressInfo).port;
      const run = await runBounded(
        ['python3', CLIENT_DRIVER, '--submission', dir, '--port', '9', '--timeout', '5', '--proxy-ports', String(taken)],
        { cwd: dir, timeoutMs: 30_000, outputLimitBytes: 1024 * 1024 },
      );
      const report = JSON.parse(run.stdout) as { checks: unknown[]; port_taken?: string };
      expect(report.port_taken).toContain(`port ${taken}`);
      expect(report.checks).toEqual([]);
      expect(existsSync(marker)).toBe(false);
    } finally {
      holder.close();
    }
  });

  const graded: ClientHalfResult = { outcomes: [], stderr: '' };

  it('runs again on new ports and returns the first run that bound them all', async () => {
    const opened: number[] = [];
    const closed: number[] = [];
    let attempt = 0;
    const open = async () => {
      const id = ++attempt;
      opened.push(id);
      return { id, close: async () => void closed.push(id) };
    };
    const answers: (ClientHalfResult | PortTaken)[] = [{ portTaken: 'port 1: Address already in use' }, graded];
    const result = await withFreshPorts(open, async () => answers.shift() ?? graded);
    expect(result).toBe(graded);
    expect(opened).toEqual([1, 2]);
    expect(closed).toEqual([1, 2]);
  });

  it('a clash on every attempt is the kit\'s error, with every port named, never a student\'s zero', async () => {
    let n = 0;
    const open = async () => ({ close: async () => undefined });
    const run = withFreshPorts(open, async () => ({ portTaken: `port ${++n}: Address already in use` }));
    await expect(run).rejects.toBeInstanceOf(ProxyPortError);
    await expect(withFreshPorts(open, async () => ({ portTaken: 'port 7: busy' }))).rejects.toThrow(/port 7: busy; port 7: busy; port 7: busy/);
  });
});
