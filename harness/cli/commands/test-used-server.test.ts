import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type RunningServer } from '../../../reference/server/index.ts';
import { EXIT } from '../exit-codes.ts';

// Issue 11, point 3: `--target` against a server that already holds the suite's test data (here the
// reference server after one full run) must not blame the server with false FAILED cases.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = path.join(ROOT, 'harness/cli/instanet.mjs');
const cli = (args: string[]) => execa('node', [CLI, 'test', ...args], { cwd: ROOT, reject: false, timeout: 180_000, env: { NO_COLOR: '1' } });

let data: string;
let out: string;
let server: RunningServer;
beforeAll(async () => {
  data = await mkdtemp(path.join(os.tmpdir(), 'instanet-used-data-'));
  out = await mkdtemp(path.join(os.tmpdir(), 'instanet-used-out-'));
  server = await startServer({ port: 0, dataDir: data, logger: false });
});
afterAll(async () => {
  await server?.close();
  await rm(data, { recursive: true, force: true });
  await rm(out, { recursive: true, force: true });
});

describe('instanet test --target on a server that was used before', () => {
  test('the first run passes and says it writes test data; the second stops with one line and exit 3', async () => {
    const target = `${server.host}:${server.port}`;
    const first = await cli(['--target', target, '--out', path.join(out, 'first')]);
    expect(first.stderr).toContain(`--target writes test data into the server at ${target}`);
    expect(first.stdout).not.toMatch(/\bFAILED\b/);
    expect(first.exitCode, first.stdout).toBe(EXIT.ok);

    const second = await cli(['--target', target, '--out', path.join(out, 'second')]);
    expect(second.exitCode, second.stdout + second.stderr).toBe(EXIT.environment);
    expect(second.stdout).not.toMatch(/\bFAILED\b/);
    const lines = second.stderr.trim().split('\n');
    expect(lines, second.stderr).toHaveLength(1);
    expect(lines[0]).toContain(`the server at ${target} already has data:`);
    expect(lines[0]).toMatch(/user\d and user\d are already friends|pending friend request|already have a conversation/);
    expect(lines[0]).toContain('restart the server on a fresh data folder, or let the kit start it with --server');
  }, 240_000);
});
