import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InstaNetClient } from '../../reference/client/index.ts';
import { assertContainerRuntime, containerTarget } from './container-target.ts';

// Runs only where a Docker-compatible engine answers (and can pull python:3.12-slim); elsewhere it
// says why it skipped, so a green run never hides that the container path went untested.

const CORRECT = fileURLToPath(new URL('../../fixtures/submissions/correct/', import.meta.url));

const engine = await Promise.race([
  assertContainerRuntime().then(
    () => ({ ok: true as const, reason: '' }),
    (error: Error) => ({ ok: false as const, reason: error.message }),
  ),
  new Promise<{ ok: false; reason: string }>((resolve) => setTimeout(() => resolve({ ok: false, reason: 'no container engine answered within 10 s' }), 10_000).unref()),
]);
if (!engine.ok) console.log(`container-target integration test skipped: ${engine.reason}`);

describe('containerTarget (testcontainers)', () => {
  it.skipIf(!engine.ok)('runs a submission in python:3.12-slim with its workspace mounted and its port mapped', async () => {
    const ws = await mkdtemp(path.join(os.tmpdir(), 'container-ws-'));
    await cp(CORRECT, ws, { recursive: true });
    const target = containerTarget({ workspace: ws, image: 'python:3.12-slim', command: ['python3', 'server.py', '--port', '{port}'], readyMs: 120_000 });
    const instance = await target.start();
    try {
      const client = await InstaNetClient.connect({ host: instance.host, port: instance.port, timeoutMs: 10_000 });
      try {
        const reply = await client.login('user1', '123');
        expect(reply).toMatchObject({ status: 'success', message: 'Login successful' });
      } finally {
        client.close();
      }
    } finally {
      expect((await instance.stop()).status).toBe('ok');
      await rm(ws, { recursive: true, force: true });
    }
  }, 300_000);

  it('explains a missing engine instead of a stack trace', async () => {
    if (engine.ok) return;
    await expect(assertContainerRuntime()).rejects.toMatchObject({ code: 'INSTANET_ERR_CONTAINER_RUNTIME' });
  }, 20_000);
});
