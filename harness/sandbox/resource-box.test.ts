import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBox, leaveKitBox, ownsTid, planBoxes, type Box, type BoxPlan } from './resource-box.ts';

// The box on this machine's real cgroups (v1 as root here, v2 on a delegated systemd scope): a
// process started in it, what it forks and setsid()s, memory it holds through memfd_create, the
// limits, and destroy() leaving nothing. Skipped only where no backend exists (the plan says why).

const MIB = 1024 * 1024;
let plan: BoxPlan;
const started: ChildProcess[] = [];

beforeAll(async () => {
  plan = await planBoxes();
  if (plan.kind === 'none') console.log(`resource-box tests skipped: ${plan.warning}`);
});

afterAll(async () => {
  for (const child of started) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await leaveKitBox();
});

/** python3 -c `code` started inside the box, its stdout lines collected. */
function runIn(box: Box, code: string): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const [cmd, ...args] = box.enter(['python3', '-c', code]);
  const child = spawn(cmd as string, args, { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  const lines: string[] = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

/** Waits (bounded) until `lines` holds a line starting with `prefix`; returns the rest of it. */
async function lineStarting(lines: string[], prefix: string, exited?: Promise<unknown>): Promise<string> {
  let done = false;
  void exited?.then(() => (done = true));
  for (let i = 0; i < 600; i++) {
    const line = lines.find((l) => l.startsWith(prefix));
    if (line !== undefined) return line.slice(prefix.length).trim();
    if (done && i > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no line starting with ${prefix} (got ${JSON.stringify(lines)})`);
}

function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie has left its cgroup; only its parent's wait is missing.
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** The parent fills 96 MiB of memfd (never mapped), its child leaves its session; both then sleep. */
const HOLDER = `
import os, sys, time
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    os.write(w, str(os.getpid()).encode() + b'\\n')
    time.sleep(300)
    os._exit(0)
print('child', os.read(r, 64).decode().strip(), flush=True)
fd = os.memfd_create('instanet-box-test')
chunk = b'x' * (1024 * 1024)
for _ in range(96):
    os.write(fd, chunk)
print('parent', os.getpid(), flush=True)
print('filled', flush=True)
time.sleep(300)
`;

describe('a resource box', () => {
  it('holds what its process forks and setsid()s, counts memfd pages, and destroy() leaves nothing', async (ctx) => {
    if (plan.kind === 'none') ctx.skip();
    const box = (await createBox('unit-holder', { memoryMiB: 512, pids: 64 })) as Box;
    const { lines, exited } = runIn(box, HOLDER);
    const child = Number(await lineStarting(lines, 'child ', exited));
    const parent = Number(await lineStarting(lines, 'parent ', exited));
    await lineStarting(lines, 'filled', exited);

    const tids = await box.tids();
    expect(tids).toEqual(expect.arrayContaining([parent, child]));
    expect(await ownsTid(box, child)).toBe(true);
    expect(await ownsTid(box, process.pid)).toBe(false);
    // 96 MiB of memfd never mapped: RLIMIT_AS never sees it, the box's count does.
    const memory = await box.memory();
    expect(memory.peakBytes).toBeGreaterThanOrEqual(96 * MIB);
    expect(memory.limitHit).toBe(false);
    expect(await box.cpuUsageNs()).toBeGreaterThan(0);

    await box.destroy();
    expect([parent, child].filter((pid) => !isGone(pid))).toEqual([]);
    expect(box.folders.filter((dir) => existsSync(dir))).toEqual([]);
    await box.destroy();
  }, 60_000);

  it('stops memfd memory at its limit and says so', async (ctx) => {
    if (plan.kind === 'none') ctx.skip();
    const box = (await createBox('unit-memfd', { memoryMiB: 64, pids: 16 })) as Box;
    try {
      const code = "import os\nfd = os.memfd_create('hog')\nchunk = b'x' * (1024 * 1024)\nfor _ in range(256):\n    os.write(fd, chunk)\nprint('all 256 MiB held', flush=True)\n";
      const { lines, exited } = runIn(box, code);
      const status = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 30_000))]);
      expect(lines).not.toContain('all 256 MiB held');
      expect(status).not.toBe(0);
      const memory = await box.memory();
      expect(memory.limitHit).toBe(true);
      expect(memory.limitBytes).toBe(64 * MIB);
    } finally {
      await box.destroy();
    }
  }, 60_000);

  it('refuses forks past its pids limit and counts them', async (ctx) => {
    if (plan.kind === 'none') ctx.skip();
    const box = (await createBox('unit-pids', { memoryMiB: 256, pids: 8 })) as Box;
    try {
      const code = [
        'import os, time',
        'made, refused = 0, None',
        'for _ in range(30):',
        '    try:',
        '        pid = os.fork()',
        '    except OSError as e:',
        '        refused = e.errno; break',
        '    if pid == 0:',
        '        time.sleep(60); os._exit(0)',
        '    made += 1',
        "print('made', made, refused, flush=True)",
        'time.sleep(60)',
      ].join('\n');
      const { lines, exited } = runIn(box, code);
      const [made, refused] = (await lineStarting(lines, 'made ', exited)).split(' ');
      // One slot is the parent itself: seven children fit under eight.
      expect(Number(made)).toBe(7);
      expect(refused).toBe('11');
      expect(await box.pidsRefused()).toBeGreaterThan(0);
    } finally {
      await box.destroy();
    }
  }, 60_000);

  it('is off when asked (INSTANET_RESOURCE_BOX=none), and then says what that means instead of pretending', async () => {
    const saved = process.env.INSTANET_RESOURCE_BOX;
    process.env.INSTANET_RESOURCE_BOX = 'none';
    try {
      const off = await planBoxes();
      expect(off.kind).toBe('none');
      expect(off.warning).toMatch(/neighbours can affect each other's timing and memory/);
      expect(await createBox('unit-off', { memoryMiB: 64, pids: 8 })).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.INSTANET_RESOURCE_BOX;
      else process.env.INSTANET_RESOURCE_BOX = saved;
    }
  });

  it('never runs the command when the box cannot be entered', async (ctx) => {
    if (plan.kind === 'none') ctx.skip();
    const box = (await createBox('unit-gone', { memoryMiB: 64, pids: 8 })) as Box;
    await box.destroy();
    const { lines, exited } = runIn(box, "print('ran outside the box', flush=True)");
    expect(await exited).toBe(125);
    expect(lines).toEqual([]);
  }, 30_000);
});
