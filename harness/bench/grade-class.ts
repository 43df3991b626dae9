import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { SubmissionGrade } from '../grader/outputs/grade-format.ts';
import { spawnGroup } from '../process/process-groups.ts';
import { samplePeakMemory } from './process-tree-memory.ts';

// One `instanet grade` of a class folder, run as a TA runs it (the built CLI, its own process) and
// measured from outside: wall time, peak memory of everything it started, processes left behind,
// and each hand-in's grade as grade.json says. The `grade` and `class-under-load` entries share it.

const CLI = fileURLToPath(new URL('../cli/instanet.mjs', import.meta.url));
const exec = promisify(execFile);

/** What a comparison of two runs needs of one hand-in's grade. */
export interface GradeSummary {
  name: string;
  status: string;
  total: number;
  tasks: number[];
  /** Each case or check that did not pass: its verdict and why, so a moved grade can be diagnosed. */
  failing?: Record<string, { verdict: string; detail: string }>;
}

const PASSING = new Set(['PASSED', 'INFORMATIONAL', 'NON-STRICT']);

function failingCases(grade: SubmissionGrade): Record<string, { verdict: string; detail: string }> {
  const out: Record<string, { verdict: string; detail: string }> = {};
  for (const c of grade.cases) if (!PASSING.has(c.verdict)) out[c.id] = { verdict: c.verdict, detail: (c.detail ?? '').slice(0, 200) };
  return out;
}

export interface ClassRun {
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
  /** `instanet grade`'s exit code: 3 when some hand-in is a kit-error. */
  exitCode: number;
  grades: GradeSummary[];
}

export interface GradeClassOptions {
  /** Scratch root: outputs and every sandboxed workspace go under it, so leftovers are found. */
  root: string;
  submissions: string;
  count: number;
  jobs: number;
  dedupe: boolean;
  /** The output folder's name under root (one per run). */
  label: string;
  log: (line: string) => void;
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
const sec = (ms: number) => Math.round(ms / 10) / 100;

/** Runs the CLI in its own process group; resolves with its exit code (0, 1 for lost points, 3 for a kit error). */
function runGradeCli(options: GradeClassOptions, out: string, scratch: string): { exited: Promise<number>; pid: number | undefined } {
  const args = [CLI, 'grade', options.submissions, '--out', out, '--jobs', String(options.jobs), '--progress', 'lines', ...(options.dedupe ? [] : ['--no-dedupe'])];
  // The grader's scratch (every sandboxed process's workspace) goes under root, so a process that
  // outlives the run is told apart from other users' graders on a shared machine.
  const child = spawnGroup([process.execPath, ...args], { cwd: options.root, env: { TMPDIR: scratch } });
  child.child.stdout?.on('data', () => undefined);
  let tail = '';
  child.child.stderr?.on('data', (c: Buffer) => {
    tail = (tail + c.toString()).slice(-4000);
    for (const line of c.toString().split('\n')) if (/^\[(10|25|50|75|100)\//.test(line)) options.log(line);
  });
  const exited = child.closed.then((info) => {
    child.signal('SIGKILL');
    child.release();
    const code = info.spawnError ? -1 : (info.code ?? -1);
    if (code === 0 || code === 1 || code === 3) return code;
    throw new Error(`instanet grade exited with ${info.signal ?? code}: ${tail.trim().split('\n').at(-1) ?? ''}`);
  });
  return { exited, pid: child.pid };
}

async function readGrades(out: string): Promise<SubmissionGrade[]> {
  const grades: SubmissionGrade[] = [];
  for (const e of await readdir(out, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const text = await readFile(join(out, e.name, 'grade.json'), 'utf8').catch(() => undefined);
    if (text !== undefined) grades.push(JSON.parse(text) as SubmissionGrade);
  }
  return grades.sort((a, b) => a.name.localeCompare(b.name));
}

export async function gradeClass(options: GradeClassOptions): Promise<ClassRun> {
  const out = join(options.root, options.label);
  const scratch = join(options.root, `tmp-${options.label}`);
  await mkdir(scratch, { recursive: true });
  options.log(`grading ${options.count} submissions with --jobs ${options.jobs}${options.dedupe ? '' : ' --no-dedupe'}`);
  const t0 = process.hrtime.bigint();
  const cli = runGradeCli(options, out, scratch);
  const memory = cli.pid !== undefined ? samplePeakMemory(cli.pid) : undefined;
  const exitCode = await cli.exited;
  const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const peaks = (await memory?.stop()) ?? { peakTreeMiB: NaN, peakGraderMiB: NaN, peakProcesses: 0 };
  const leaks = await leftovers(options.root);
  const { stdout: ps } = await exec('ps', ['-eo', 'pid,args']);
  const psLeaks = ps.split('\n').filter((l) => l.includes(options.root));

  const grades = await readGrades(out);
  // Copies of one sample share its grade when deduplicated; the graded ones show the real cost of one.
  const gradedOnes = grades.filter((g) => !g.incidents.some((i) => i.startsWith('same files as')));
  const durations = gradedOnes.map((g) => g.durationMs).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const g of grades) statuses[g.status] = (statuses[g.status] ?? 0) + 1;
  return {
    dedupe: options.dedupe,
    totalSeconds: Math.round(totalMs / 100) / 10,
    wallSecondsPerSubmission: sec(totalMs / options.count),
    submissionsPerMinute: Math.round((options.count / (totalMs / 60_000)) * 10) / 10,
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
    exitCode,
    grades: grades.map((g) => ({ name: g.name, status: g.status, total: g.total, tasks: g.tasks.map((t) => t.earned), failing: failingCases(g) })),
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
