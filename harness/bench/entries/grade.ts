import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from '../bench-entry.ts';
import { samplePeakMemory } from '../process-tree-memory.ts';

export const description =
  '`instanet grade` on a class of 100 submissions (copies of fixtures/submissions and fixtures/broken-submissions, '
  + 'skeleton, crash and hang included) with --jobs 2 under the default sandbox, every copy graded (--no-dedupe, aim '
  + '< 180 s) and identical copies graded once: total and per-submission wall time, submissions per minute, peak '
  + 'memory of the grader and everything it started, and the processes left behind afterwards (must be none)';

const CLI = fileURLToPath(new URL('../../cli/instanet.mjs', import.meta.url));
const SAMPLES = fileURLToPath(new URL('../../../fixtures/submissions/', import.meta.url));
const BROKEN = fileURLToPath(new URL('../../../fixtures/broken-submissions/', import.meta.url));
const exec = promisify(execFile);

async function sampleFolders(): Promise<string[]> {
  const out: string[] = [];
  for (const dir of [SAMPLES, BROKEN]) {
    for (const e of await readdir(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(join(dir, e.name));
  }
  return out.sort();
}

/** Processes whose working directory or command line mentions `root`: what a leak would look like. */
async function leftovers(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '');
      const cmd = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ');
      if (cwd.startsWith(root) || cmd.includes(root)) found.push(`${entry}: ${cmd.trim()}`);
    } catch {
      /* exited */
    }
  }
  return found;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

interface ClassRun {
  dedupe: boolean;
  totalSeconds: number;
  wallSecondsPerSubmission: number;
  submissionsPerMinute: number;
  memory: { peakTreeMiB: number; peakGraderMiB: number; peakProcesses: number };
  gradedSeparately: number;
  sharedWithAnIdenticalCopy: number;
  submissionSeconds: { mean: number; p50: number; p90: number; max: number };
  /** The samples that took longest (mean over their copies): where a faster grader should look first. */
  slowestSamples: { sample: string; seconds: number }[];
  /** Submissions whose grade judged a timeout again (the second look), how many cases, how many then passed. */
  secondLook: { submissions: number; cases: number; passedWhenJudgedAgain: number };
  statuses: Record<string, number>;
  leftoverProcesses: string[];
}

async function gradeClass(root: string, submissions: string, count: number, jobs: number, dedupe: boolean, options: BenchOptions): Promise<ClassRun> {
  const out = join(root, dedupe ? 'out-dedupe' : 'out-all');
  const scratch = join(root, dedupe ? 'tmp-dedupe' : 'tmp-all');
  await mkdir(scratch, { recursive: true });
  options.log(`grading ${count} submissions with --jobs ${jobs}${dedupe ? '' : ' --no-dedupe'}`);
  const t0 = process.hrtime.bigint();
  let memory: ReturnType<typeof samplePeakMemory> | undefined;
  await new Promise<void>((resolve, reject) => {
    const args = [CLI, 'grade', submissions, '--out', out, '--jobs', String(jobs), '--progress', 'lines', ...(dedupe ? [] : ['--no-dedupe'])];
    // The grader's scratch (every sandboxed process's workspace) goes under root, so a process that
    // outlives the run is told apart from other users' graders on a shared machine.
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: scratch } });
    if (child.pid !== undefined) memory = samplePeakMemory(child.pid);
    child.stdout.on('data', () => undefined);
    child.stderr.on('data', (c: Buffer) => {
      for (const line of c.toString().split('\n')) if (/^\[(10|25|50|75|100)\//.test(line)) options.log(line);
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`instanet grade exited with ${code}`))));
  });
  const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const peaks = (await memory?.stop()) ?? { peakTreeMiB: NaN, peakGraderMiB: NaN, peakProcesses: 0 };
  const leaks = await leftovers(root);
  const { stdout: ps } = await exec('ps', ['-eo', 'pid,args']);
  const psLeaks = ps.split('\n').filter((l) => l.includes(root));

  const grades: { name: string; status: string; durationMs: number; incidents: string[] }[] = [];
  for (const e of await readdir(out, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    grades.push(JSON.parse(await readFile(join(out, e.name, 'grade.json'), 'utf8')) as (typeof grades)[number]);
  }
  // Copies of one sample share its grade when deduplicated; the graded ones show the real cost of one.
  const gradedOnes = grades.filter((g) => !g.incidents.some((i) => i.startsWith('same files as')));
  const durations = gradedOnes.map((g) => g.durationMs).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const g of grades) statuses[g.status] = (statuses[g.status] ?? 0) + 1;
  const sec = (ms: number) => Math.round(ms / 10) / 100;
  return {
    dedupe,
    totalSeconds: Math.round(totalMs / 100) / 10,
    wallSecondsPerSubmission: sec(totalMs / count),
    submissionsPerMinute: Math.round((count / (totalMs / 60_000)) * 10) / 10,
    memory: peaks,
    gradedSeparately: gradedOnes.length,
    sharedWithAnIdenticalCopy: grades.length - gradedOnes.length,
    // Each graded submission's own wall time, with another job running beside it.
    submissionSeconds: {
      mean: sec(durations.reduce((s, d) => s + d, 0) / durations.length),
      p50: sec(pct(durations, 50)),
      p90: sec(pct(durations, 90)),
      max: sec(durations.at(-1) ?? 0),
    },
    slowestSamples: slowestSamples(gradedOnes),
    secondLook: secondLookCount(gradedOnes),
    statuses,
    leftoverProcesses: [...new Set([...leaks, ...psLeaks])],
  };
}

/** Copies are named s001-<sample>: the mean seconds per sample, slowest first. */
function slowestSamples(grades: readonly { name: string; durationMs: number }[]): { sample: string; seconds: number }[] {
  const bySample = new Map<string, number[]>();
  for (const g of grades) {
    const sample = g.name.replace(/^s\d+-/, '');
    bySample.set(sample, [...(bySample.get(sample) ?? []), g.durationMs]);
  }
  return [...bySample]
    .map(([sample, ms]) => ({ sample, seconds: Math.round(ms.reduce((s, d) => s + d, 0) / ms.length / 10) / 100 }))
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, 6);
}

function secondLookCount(grades: readonly { incidents: string[] }[]): { submissions: number; cases: number; passedWhenJudgedAgain: number } {
  const lines = grades.map((g) => g.incidents.filter((i) => i.includes('second look')));
  // "passed: a, b; failed again: c" -> three cases, two of them passed.
  const count = (pattern: RegExp) => lines.flat().reduce((n, line) => n + (line.match(pattern) ?? []).reduce((m, part) => m + part.split(',').length, 0), 0);
  return { submissions: lines.filter((l) => l.length > 0).length, cases: count(/(?:passed|failed again): ([^;]+)/g), passedWhenJudgedAgain: count(/passed: ([^;]+)/g) };
}

export async function run(options: BenchOptions) {
  const count = options.quick ? 20 : 100;
  const jobs = 2;
  const root = await mkdtemp(join(tmpdir(), 'bench-grade-'));
  try {
    const samples = await sampleFolders();
    const submissions = join(root, 'class');
    await mkdir(submissions, { recursive: true });
    for (let i = 0; i < count; i++) {
      const sample = samples[i % samples.length] as string;
      const name = `s${String(i + 1).padStart(3, '0')}-${sample.split('/').at(-1)}`;
      await cp(sample, join(submissions, name), { recursive: true });
    }
    // Default behaviour (identical copies graded once), then every copy graded as if all differed.
    const deduplicated = await gradeClass(root, submissions, count, jobs, true, options);
    const everyCopy = await gradeClass(root, submissions, count, jobs, false, options);
    return { submissions: count, distinctSamples: samples.length, jobs, aimSeconds: 180, deduplicated, everyCopy };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
