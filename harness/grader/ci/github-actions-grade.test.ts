import { runBounded } from '../../process/run-bounded.ts';
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { readGrades } from '../grade/merge.ts';
import { shardOf } from '../grade/shard.ts';

// The workflow template, run as GitHub Actions would run it but on this machine: its YAML is parsed,
// the `run:` steps of the shard job are executed once per matrix value (each in its own folder, as
// on its own runner), the upload/download of artifacts is a copy into the merge job's `shards/`
// (download-artifact's layout: one folder per artifact name), then the merge job's steps run. Steps
// with id `install` are skipped: apt-get and `npm ci` are what this machine already did. The merged
// gradebook must equal a single-machine `instanet grade` of the same class, student for student.

const WORKFLOW = fileURLToPath(new URL('./github-actions-grade.yml', import.meta.url));
const KIT_CLI = fileURLToPath(new URL('../../cli/instanet.mjs', import.meta.url));
const SAMPLES = fileURLToPath(new URL('../../../fixtures/submissions/', import.meta.url));
const BROKEN = fileURLToPath(new URL('../../../fixtures/broken-submissions/', import.meta.url));
const CLASS: Record<string, string> = {
  correct: path.join(SAMPLES, 'correct'),
  'json-single-recv': path.join(SAMPLES, 'json-single-recv'),
  'no-wait-ready': path.join(SAMPLES, 'no-wait-ready'),
  'crash-at-startup': path.join(BROKEN, 'crash-at-startup'),
};

const Step = z.object({ id: z.string().optional(), run: z.string().optional(), uses: z.string().optional(), with: z.record(z.string(), z.unknown()).optional() }).passthrough();
const Workflow = z.object({
  env: z.record(z.string(), z.union([z.string(), z.number()])),
  jobs: z.object({
    shard: z.object({ strategy: z.object({ matrix: z.object({ shard: z.array(z.number()) }) }), steps: z.array(Step) }).passthrough(),
    merge: z.object({ needs: z.union([z.string(), z.array(z.string())]), steps: z.array(Step) }).passthrough(),
  }),
});
type Step = z.infer<typeof Step>;

let tmp: string;
let workflow: z.infer<typeof Workflow>;

/** Every `${{ ... }}` a step uses must be one this runner knows; an unknown one fails the test. */
function expand(script: string, values: Record<string, string>): string {
  return script.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    const value = values[expr];
    if (value === undefined) throw new Error(`the workflow uses \${{ ${expr} }}, which this test does not provide`);
    return value;
  });
}

/** bash -e, as Actions runs `run:` steps; through the kit's bounded runner (own group, killed on every path). */
async function runStep(script: string, cwd: string, env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const run = await runBounded(['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env, timeoutMs, outputLimitBytes: 16_000 });
  return { code: run.code, output: (run.stdout + run.stderr).slice(-16_000) };
}

async function runJob(steps: readonly Step[], cwd: string, env: Record<string, string>, values: Record<string, string>): Promise<void> {
  for (const step of steps) {
    if (!step.run || step.id === 'install') continue;
    const result = await runStep(expand(step.run, values), cwd, env, 600_000);
    expect(result.code, `step ${step.id ?? step.run}:\n${result.output}`).toBe(0);
  }
}

async function copyClass(dir: string): Promise<void> {
  for (const [name, source] of Object.entries(CLASS)) await cp(source, path.join(dir, name), { recursive: true });
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'gha-grade-'));
  workflow = Workflow.parse(parse(await readFile(WORKFLOW, 'utf8')));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('GitHub Actions workflow template (harness/grader/ci/github-actions-grade.yml)', () => {
  it('is consistent: one matrix value per shard, artifacts named as the merge job downloads them', () => {
    const shards = workflow.jobs.shard.strategy.matrix.shard;
    expect(shards).toEqual(Array.from({ length: Number(workflow.env.SHARDS) }, (_, i) => i + 1));
    expect(workflow.jobs.merge.needs).toBe('shard');
    const upload = workflow.jobs.shard.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
    expect(upload?.with).toMatchObject({ name: 'shard-${{ matrix.shard }}', path: 'shards/shard-${{ matrix.shard }}' });
    const download = workflow.jobs.merge.steps.find((s) => s.uses?.startsWith('actions/download-artifact'));
    expect(download?.with).toMatchObject({ pattern: 'shard-*', path: 'shards' });
    // The class below must really be split, or "merged equals single" proves little.
    expect(new Set(Object.keys(CLASS).map((n) => shardOf(n, shards.length))).size).toBeGreaterThan(1);
  });

  it('shards graded apart and merged give the gradebook of a single run', async () => {
    const shards = workflow.jobs.shard.strategy.matrix.shard;
    const env: Record<string, string> = Object.fromEntries(Object.entries(workflow.env).map(([k, v]) => [k, String(v)]));
    env.INSTANET = `node ${KIT_CLI}`;

    // The matrix jobs, one after the other here (2 cores), each in a runner folder of its own.
    const mergeDir = path.join(tmp, 'merge-job');
    await mkdir(path.join(mergeDir, 'shards'), { recursive: true });
    for (const shard of shards) {
      const runner = path.join(tmp, `shard-job-${shard}`);
      await copyClass(path.join(runner, env.SUBMISSIONS as string));
      await runJob(workflow.jobs.shard.steps, runner, env, { 'matrix.shard': String(shard) });
      // upload-artifact + download-artifact (pattern shard-*): one folder per artifact.
      await cp(path.join(runner, 'shards', `shard-${shard}`), path.join(mergeDir, 'shards', `shard-${shard}`), { recursive: true });
    }
    const summary = path.join(tmp, 'step-summary.md');
    await runJob(workflow.jobs.merge.steps, mergeDir, { ...env, GITHUB_STEP_SUMMARY: summary }, {});

    const single = path.join(tmp, 'single');
    await copyClass(path.join(single, 'submissions'));
    const run = await runStep(`${env.INSTANET} grade submissions --out out --jobs 2 --progress lines`, single, {}, 900_000);
    expect(run.code, run.output).toBe(0);

    const byName = (grades: Awaited<ReturnType<typeof readGrades>>) =>
      Object.fromEntries(grades.map((g) => [g.name, { total: g.total, status: g.status, tasks: g.tasks.map((t) => [t.id, t.earned]) }]));
    const merged = byName(await readGrades(path.join(mergeDir, 'gradebook')));
    expect(Object.keys(merged).sort()).toEqual(Object.keys(CLASS).sort());
    expect(merged).toEqual(byName(await readGrades(path.join(single, 'out'))));
    expect(merged.correct?.total).toBe(100);
    // gradebook.csv holds no timestamps: the files themselves are equal.
    expect(await readFile(path.join(mergeDir, 'gradebook', 'gradebook.csv'), 'utf8')).toBe(await readFile(path.join(single, 'out', 'gradebook.csv'), 'utf8'));
    expect(await readdir(path.join(mergeDir, 'gradebook'))).toContain('index.html');
    const md = await readFile(summary, 'utf8');
    expect(md).toMatch(/^## /);
    for (const name of Object.keys(CLASS)) expect(md).toContain(`| ${name} |`);
  }, 1_800_000);
});
