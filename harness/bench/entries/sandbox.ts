import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FrameDecoder, encodeJson } from '../../../spec/codec/index.ts';
import { planSandbox, resolvePython, sandboxCommand, type SandboxPlan } from '../../sandbox/sandbox.ts';
import { SandboxedTarget } from '../../grader/server-half/sandboxed-target.ts';
import { prepareWorkspace } from '../../grader/submissions/workspace.ts';
import type { Rubric } from '../../grader/rubric/format.ts';
import { median, type BenchOptions } from '../bench-entry.ts';

export const description =
  'per-instance cost of the grader sandbox: ms from SandboxedTarget.start() (copy, sandbox, server start, readiness) ' +
  'to the login reply of fixtures/submissions/correct, with no sandbox, bwrap sharing the host network, and bwrap ' +
  'in its own network namespace behind the relay (the grader default)';

const CORRECT = fileURLToPath(new URL('../../../fixtures/submissions/correct', import.meta.url));
const LIMITS = { cpuSeconds: 60, memoryMiB: 1024, processes: 64, fileSizeMiB: 64 };
// Only the users are read by prepareWorkspace.
const RUBRIC = { users: { count: 6, prefix: 'user', password: '123' } } as unknown as Rubric;

function login(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const decoder = new FrameDecoder();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no login reply within 15 s'));
    }, 15_000);
    socket.on('connect', () => socket.write(encodeJson({ action: 'login', username: 'user1', password: '123' })));
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      const frame = decoder.next();
      if (frame?.kind !== 'json') return;
      clearTimeout(timer);
      socket.destroy();
      if (frame.value['status'] === 'success') resolve();
      else reject(new Error(`login: ${JSON.stringify(frame.value)}`));
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export async function run(options: BenchOptions): Promise<Record<string, unknown>> {
  const rounds = options.quick ? 3 : 10;
  const python = await resolvePython();
  const root = await mkdtemp(join(tmpdir(), 'bench-sandbox-'));
  const base = join(root, 'base');
  await prepareWorkspace(CORRECT, base, RUBRIC);
  const bwrap = await planSandbox('auto');
  const variants: Array<{ name: string; plan: SandboxPlan; isolated: boolean }> = [
    { name: 'none', plan: { kind: 'none', userNamespace: false }, isolated: false },
  ];
  if (bwrap.kind === 'bwrap') {
    variants.push({ name: 'bwrap-shared-network', plan: bwrap, isolated: false });
    if (bwrap.isolatedNetwork) variants.push({ name: 'bwrap-isolated-network', plan: bwrap, isolated: true });
  }
  const results: Record<string, unknown> = { rounds, plan: bwrap };
  try {
    for (const variant of variants) {
      const target = new SandboxedTarget({
        baseWorkspace: base,
        scratch: join(root, variant.name),
        command: [python.executable, 'server.py', '--port', '{port}'],
        wrap: (argv, ws, expose) =>
          sandboxCommand(argv, ws, { plan: variant.plan, limits: LIMITS, python, hide: [root], ...(variant.isolated ? { expose: [expose] } : {}) }),
        readyMs: 20_000,
        outputLimitBytes: 8192,
        diskLimitBytes: 64 * 1024 * 1024,
        description: variant.name,
      });
      const times: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const t0 = process.hrtime.bigint();
        const instance = await target.start();
        try {
          await login(instance.port);
          times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        } finally {
          await instance.stop();
        }
      }
      await target.abort();
      times.sort((a, b) => a - b);
      const round = (ms: number) => Math.round(ms * 10) / 10;
      results[variant.name] = { startToLoginMs: { best: round(times[0] ?? NaN), median: round(median(times)), worst: round(times.at(-1) ?? NaN) } };
      options.log(`${variant.name}: median ${round(median(times))} ms from start() to the login reply`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return results;
}
