import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InstaNetClient } from '../../../reference/client/index.ts';
import { runGrade } from '../../grader/grade/grade-run.ts';
import { DEFAULT_CONTAINER_IMAGE } from '../../targets/container-image.ts';
import { assertContainerRuntime, containerTarget } from '../../targets/container-target.ts';
import { median, type BenchOptions } from '../bench-entry.ts';

export const description =
  'cost of --sandbox container against bwrap: ms to grade fixtures/submissions/correct end to end with each ' +
  '(one submission, --force), and ms from a container start to the login reply (copy, container, relay, readiness). ' +
  'Needs an engine: bash harness/tools/container-engine.sh run -- npm run bench -- container';

const CORRECT = fileURLToPath(new URL('../../../fixtures/submissions/correct', import.meta.url));
const LIMITS = { cpuSeconds: 60, memoryMiB: 1024, processes: 64, fileSizeMiB: 64 };
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

export async function run(options: BenchOptions): Promise<Record<string, unknown>> {
  try {
    await assertContainerRuntime();
  } catch (error) {
    return { skipped: (error as Error).message };
  }
  const gradeRounds = options.quick ? 1 : 3;
  const startRounds = options.quick ? 3 : 10;
  const root = await mkdtemp(join(tmpdir(), 'bench-container-'));
  const results: Record<string, unknown> = { image: DEFAULT_CONTAINER_IMAGE, gradeRounds, startRounds };
  try {
    const submissions = join(root, 'class');
    await cp(CORRECT, join(submissions, 'correct'), { recursive: true });
    for (const sandbox of ['bwrap', 'container'] as const) {
      const times: number[] = [];
      for (let i = 0; i < gradeRounds; i++) {
        const t0 = process.hrtime.bigint();
        const graded = await runGrade({ submissions, out: join(root, `out-${sandbox}`), sandbox, image: DEFAULT_CONTAINER_IMAGE, jobs: 1, force: true, progress: 'none', stream: quiet });
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (graded.grades[0]?.total !== 100) throw new Error(`${sandbox}: correct scored ${graded.grades[0]?.total} (${graded.grades[0]?.detail ?? ''})`);
      }
      times.sort((a, b) => a - b);
      results[`grade-${sandbox}`] = { medianMs: Math.round(median(times)), timesMs: times.map(Math.round) };
      options.log(`grade ${sandbox}: median ${Math.round(median(times))} ms`);
    }
    const target = containerTarget({ workspace: CORRECT, image: DEFAULT_CONTAINER_IMAGE, command: ['python3', 'server.py', '--port', '{port}'], readyMs: 30_000, limits: LIMITS });
    const starts: number[] = [];
    for (let i = 0; i < startRounds; i++) {
      const t0 = process.hrtime.bigint();
      const instance = await target.start();
      try {
        const client = await InstaNetClient.connect({ host: instance.host, port: instance.port, timeoutMs: 15_000 });
        await client.login('user1', '123');
        client.close();
        starts.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } finally {
        await instance.stop();
      }
    }
    starts.sort((a, b) => a - b);
    results['container-start-to-login'] = { medianMs: Math.round(median(starts)), bestMs: Math.round(starts[0] ?? NaN) };
    options.log(`container start to login: median ${Math.round(median(starts))} ms`);
    return results;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
