import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../process/free-port.ts';
import { processesUnder } from '../process/process-groups.ts';
import { ServerProcess } from '../process/server-process.ts';
import { SandboxedTarget } from '../grader/server-half/sandboxed-target.ts';
import { HIDDEN_FOLDERS, kitFolderInside } from './sandbox-layout.ts';
import { sandboxCommand, type PythonRuntime, type SandboxPlan, type WrapOptions } from './sandbox.ts';
import { bwrapTestSetup } from '../testing/bwrap-plan.ts';

// Where the kit's folder goes inside a sandbox (issue 22: Gradescope's image has no /run, and bwrap
// cannot make a mount point on the read-only root), and what a sandbox that cannot start is: the
// kit's failure (`sandbox-failed`, a grade's kit-error), never the student's crash, and a student
// cannot make their own crash look like one. The whole chain in a root without /run is
// harness/grader/gradescope/autograder.test.ts.

const LIMITS = { cpuSeconds: 30, memoryMiB: 1024, processes: 64, fileSizeMiB: 16 };
let tmp: string;
let python: PythonRuntime;
let plan: SandboxPlan | undefined;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sandbox-layout-'));
  ({ python, plan } = await bwrapTestSetup());
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('the kit folder inside the sandbox', () => {
  const only = (...present: string[]) => (dir: string) => present.includes(dir);

  it('is /run/instanet where /run exists', () => {
    expect(kitFolderInside(only('/run', '/tmp', '/opt'))).toBe('/run/instanet');
  });

  it('moves under the next hidden folder that exists when /run does not (Gradescope)', () => {
    expect(kitFolderInside(only('/tmp', '/opt'))).toBe('/tmp/instanet');
    expect(kitFolderInside(only('/opt'))).toBe('/opt/instanet');
  });

  it('is always under a hidden folder, so bwrap makes it in a tmpfs of its own', () => {
    for (const dir of HIDDEN_FOLDERS) expect(path.dirname(kitFolderInside(only(dir)))).toBe(dir);
  });

  it('cannot be placed where no hidden folder exists: the sandbox is unavailable', () => {
    expect(() => kitFolderInside(only())).toThrow(expect.objectContaining({ code: 'INSTANET_ERR_SANDBOX_UNAVAILABLE' }));
  });
});

let count = 0;
async function serverIn(code: string, extra: Partial<WrapOptions> = {}): Promise<{ proc: ServerProcess; ws: string }> {
  const ws = path.join(tmp, `ws-${++count}`);
  await mkdir(ws, { recursive: true });
  await writeFile(path.join(ws, 'server.py'), code);
  const port = await freePort();
  const command = sandboxCommand([python.executable, 'server.py'], ws, { plan: plan as SandboxPlan, limits: LIMITS, python, hide: [tmp], ...extra });
  const proc = new ServerProcess({ argv: command.argv, workspace: ws, port, readyMs: 8000, outputLimitBytes: 4096, startSignal: command.startedFd !== undefined });
  return { proc, ws };
}

/** A bind whose source does not exist: bwrap fails before the launcher runs, as it did on Gradescope. */
const BROKEN: Partial<WrapOptions> = { readOnly: [['/nonexistent-instanet-source', '/opt/instanet-missing']] };

describe('a sandbox that cannot start (bwrap)', () => {
  it('is sandbox-failed with bwrap\'s own line, never "crashed"', async (ctx) => {
    if (!plan) return ctx.skip();
    const { proc, ws } = await serverIn('import time\ntime.sleep(600)\n', BROKEN);
    const failure = await proc.waitListening();
    await proc.stop();
    expect(failure?.status).toBe('sandbox-failed');
    expect(failure?.detail).toMatch(/^the sandbox could not start the server \(bwrap: .*nonexistent-instanet-source/);
    expect(await processesUnder(ws)).toEqual([]);
  });

  it('a student who prints bwrap\'s words and exits has crashed, and never holds the launcher\'s fd', async (ctx) => {
    if (!plan) return ctx.skip();
    // The forged line also says whether fd 3 (the launcher's signal) was open to the student's code.
    const code = [
      'import os, sys',
      'try:',
      '    os.fstat(3); state = "open"',
      'except OSError:',
      '    state = "closed"',
      'sys.stderr.write(f"bwrap: Can\'t mkdir parents for /run/instanet/sandbox_launcher.py: Read-only file system (fd 3 {state})\\n")',
      'sys.exit(1)',
      '',
    ].join('\n');
    const { proc } = await serverIn(code);
    const failure = await proc.waitListening();
    await proc.stop();
    expect(failure).toEqual({ status: 'crashed', detail: "bwrap: Can't mkdir parents for /run/instanet/sandbox_launcher.py: Read-only file system (fd 3 closed)" });
  });

  it('makes the grader\'s target throw the kit\'s error (a case ERROR, a grade kit-error), not a start failure', async (ctx) => {
    if (!plan) return ctx.skip();
    const base = path.join(tmp, 'target-base');
    await mkdir(base, { recursive: true });
    await writeFile(path.join(base, 'server.py'), 'import time\ntime.sleep(600)\n');
    const target = new SandboxedTarget({
      baseWorkspace: base,
      scratch: path.join(tmp, 'target-instances'),
      command: [python.executable, 'server.py', '{port}'],
      wrap: (argv, ws, expose) => sandboxCommand(argv, ws, { plan: plan as SandboxPlan, limits: LIMITS, python, hide: [tmp], expose: [expose], ...BROKEN }),
      readyMs: 8000,
      outputLimitBytes: 4096,
      diskLimitBytes: 16 * 1024 * 1024,
      description: 'broken sandbox',
    });
    await expect(target.start()).rejects.toMatchObject({ code: 'INSTANET_ERR_SANDBOX_FAILED' });
    await target.abort();
    expect(target.liveCount).toBe(0);
  });
});
