import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runBounded } from '../../process/run-bounded.ts';
import { startupCrashBlame } from './blame.ts';

// Issue 22: the starter's "crashed: TypeError: cannot unpack non-iterable NoneType object" was "not
// attributed"; it is create_server_socket returning None (its body still `pass`), and the student
// should read that. The traceback is the real one: the course skeleton's server.py run by python3.

const SKELETON = fileURLToPath(new URL('../../../fixtures/broken-submissions/skeleton/', import.meta.url));
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'grader-startup-blame-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

it("charges the skeleton's start-up crash to create_server_socket", async () => {
  const dir = path.join(tmp, 'skeleton');
  await cp(SKELETON, dir, { recursive: true });
  const run = await runBounded(['python3', 'server.py', '--port', '0'], { cwd: dir, timeoutMs: 20_000, outputLimitBytes: 64 * 1024 });
  expect(run.stderr).toContain('TypeError: cannot unpack non-iterable NoneType object');
  expect(startupCrashBlame(run.stderr)).toBe('create_server_socket');
});

it('prefers the innermost contract function of a traceback, and names none for course code alone', () => {
  const inside = 'Traceback (most recent call last):\n  File "server.py", line 9, in main\n    s, p = create_server_socket(h, p)\n  File "socket_utils.py", line 30, in create_server_socket\n    sock.bind((host, port))\nOSError: [Errno 98] Address already in use';
  expect(startupCrashBlame(inside)).toBe('create_server_socket');
  expect(startupCrashBlame('Traceback (most recent call last):\n  File "server.py", line 3, in <module>\n    import constantz\nModuleNotFoundError: No module named \'constantz\'')).toBeUndefined();
});
