import { execFileSync } from 'node:child_process';
import { cpSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadRubric } from '../grader/rubric/loader.ts';
import { prepareWorkspace } from '../grader/submissions/workspace.ts';
import { spawnedTarget } from '../targets/spawned-target.ts';

// A hand-in folder that already holds links and a FIFO: both copy steps (the grader's private
// workspace and `instanet test --server --cwd`) must copy neither, and must never write through a
// link while seeding data/ (the harness may be root; the link may name /etc/shadow).

const CORRECT = fileURLToPath(new URL('../../fixtures/submissions/correct/', import.meta.url));
const CANARY_TEXT = 'canary-untouched';
let base: string;
let handIn: string;
let canary: string;

function specialEntries(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...specialEntries(full));
    else if (!entry.isFile()) found.push(path.relative(dir, full));
  }
  return found;
}

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'instanet-copy-'));
  handIn = path.join(base, 'hand-in');
  canary = path.join(base, 'canary.json');
  writeFileSync(canary, CANARY_TEXT);
  cpSync(CORRECT, handIn, { recursive: true });
  rmSync(path.join(handIn, 'data', 'users', 'users.json'));
  symlinkSync(canary, path.join(handIn, 'data', 'users', 'users.json'));
  symlinkSync(canary, path.join(handIn, 'notes.txt'));
  execFileSync('python3', ['-c', 'import os, sys; os.mkfifo(sys.argv[1])', path.join(handIn, 'pipe')]);
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

test("the grader's workspace copy keeps no link or FIFO", async () => {
  const { rubric } = await loadRubric();
  const workspace = path.join(base, 'workspace');
  await prepareWorkspace(handIn, workspace, rubric);
  expect(specialEntries(workspace)).toEqual([]);
  expect(lstatSync(path.join(workspace, 'server.py')).isFile()).toBe(true);
  expect(readFileSync(canary, 'utf8')).toBe(CANARY_TEXT);
});

test('the spawned target copies no link or FIFO and writes its users file, not the link target', async () => {
  const instance = await spawnedTarget({ command: 'python3 server.py --port {port}', cwd: handIn, readyTimeoutMs: 15_000 }).start();
  try {
    const workspace = path.dirname(instance.dataDir as string);
    expect(specialEntries(workspace)).toEqual([]);
    expect(lstatSync(path.join(workspace, 'data', 'users', 'users.json')).isFile()).toBe(true);
    expect(readFileSync(canary, 'utf8')).toBe(CANARY_TEXT);
  } finally {
    await instance.stop();
  }
}, 30_000);
