import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExpectedTable } from '../../../fixtures/submissions/expected-table.ts';
import { spawnGroup, type GroupProcess } from '../../process/process-groups.ts';
import type { BenchOptions } from '../bench-entry.ts';
import { gradeClass, type ClassRun, type GradeSummary } from '../grade-class.ts';

export const description =
  'Issue 20\'s acceptance: the kit\'s whole sample class (fixtures/submissions, broken-submissions and '
  + 'hostile-submissions) graded once on a quiet machine, then 3 times beside 8 busy loops (4x oversubscription '
  + 'of 2 cores), --jobs 2: every total and status of a loaded run compared with the quiet run, and the samples '
  + 'of EXPECTED.yaml with their reasoned points; the loaded/quiet time ratio (aim <= 3)';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
const CLASSES = ['submissions', 'broken-submissions', 'hostile-submissions'];
const BUSY_LOOPS = 8;
const LOADED_RUNS = 3;
/** The busy loops end on their own should this process die before it kills them. */
const BURNER_LIFETIME_S = 3600;

/** A smoke run (--quick) takes the first few samples only. */
const QUICK_SAMPLES = 6;

async function copyClass(into: string, quick: boolean): Promise<string[]> {
  const folders: [name: string, source: string][] = [];
  for (const kind of quick ? ['submissions'] : CLASSES) {
    const dir = join(FIXTURES, kind);
    for (const e of await readdir(dir, { withFileTypes: true })) {
      // A sample name may occur in two fixture folders: the kind keeps them apart.
      if (e.isDirectory()) folders.push([kind === 'submissions' ? e.name : `${kind.replace('-submissions', '')}-${e.name}`, join(dir, e.name)]);
    }
  }
  const chosen = quick ? folders.sort().slice(0, QUICK_SAMPLES) : folders;
  for (const [name, source] of chosen) await cp(source, join(into, name), { recursive: true });
  return chosen.map(([name]) => name);
}

/** Outside the run's root: the leftover check looks there for processes the grader left behind. */
function startBusyLoops(): GroupProcess[] {
  return Array.from({ length: BUSY_LOOPS }, () => spawnGroup(['timeout', String(BURNER_LIFETIME_S), 'sh', '-c', 'while :; do :; done'], { cwd: '/' }));
}

function stopBusyLoops(loops: readonly GroupProcess[]): void {
  for (const loop of loops) {
    loop.signal('SIGKILL');
    loop.release();
  }
}

const key = (g: GradeSummary) => `${g.status} ${g.total} [${g.tasks.join(', ')}]`;

/**
 * Every hand-in whose status, total or points per task differ between two runs, with the cases whose
 * verdict differs (when both runs know them: EXPECTED.yaml has points only).
 */
function differences(reference: readonly GradeSummary[], run: readonly GradeSummary[]): string[] {
  const byName = new Map(run.map((g) => [g.name, g]));
  return reference.flatMap((want) => {
    const got = byName.get(want.name);
    if (!got) return [`${want.name}: no grade`];
    return key(got) === key(want) ? [] : [`${want.name}: ${key(want)} -> ${key(got)}${casesMoved(want, got)}`];
  });
}

function casesMoved(want: GradeSummary, got: GradeSummary): string {
  if (!want.failing || !got.failing) return '';
  const ids = [...new Set([...Object.keys(want.failing), ...Object.keys(got.failing)])].sort();
  const verdict = (summary: GradeSummary, id: string) => summary.failing?.[id]?.verdict ?? 'PASSED';
  const said = (summary: GradeSummary, id: string) => {
    const c = summary.failing?.[id];
    return c ? `${c.verdict}: ${c.detail}` : 'passed';
  };
  const moved = ids.filter((id) => verdict(want, id) !== verdict(got, id)).map((id) => `${id} ${said(want, id)} -> ${said(got, id)}`);
  return moved.length ? `; cases: ${moved.join(' | ')}` : '';
}

/** The samples EXPECTED.yaml reasons out from the course app, as GradeSummary rows. */
function expectedRows(names: readonly string[]): GradeSummary[] {
  const table = loadExpectedTable();
  return names.flatMap((name) => {
    const e = table.samples[name];
    if (!e) return [];
    const t = e.tasks;
    return [{ name, status: e.status, total: e.total, tasks: [t.task1, t.task2, t.task3, t.task4, t.task5, t.task6] }];
  });
}

interface RunFigures {
  label: string;
  seconds: number;
  loadAverageAfter: number;
  exitCode: number;
  statuses: Record<string, number>;
  peakGraderMiB: number;
  differencesFromQuiet: string[];
  differencesFromExpected: string[];
  leftoverProcesses: string[];
}

function figures(label: string, run: ClassRun, quiet: ClassRun, expected: readonly GradeSummary[]): RunFigures {
  return {
    label,
    seconds: run.totalSeconds,
    loadAverageAfter: Math.round((loadavg()[0] ?? 0) * 10) / 10,
    exitCode: run.exitCode,
    statuses: run.statuses,
    peakGraderMiB: run.memory.peakGraderMiB,
    differencesFromQuiet: label === 'quiet' ? [] : differences(quiet.grades, run.grades),
    differencesFromExpected: differences(expected, run.grades),
    leftoverProcesses: run.leftoverProcesses,
  };
}

export async function run(options: BenchOptions) {
  const root = await mkdtemp(join(tmpdir(), 'bench-class-under-load-'));
  try {
    const submissions = join(root, 'class');
    await mkdir(submissions);
    const names = await copyClass(submissions, options.quick);
    const expected = expectedRows(names);
    const grade = (label: string) => gradeClass({ root, submissions, count: names.length, jobs: 2, dedupe: true, label, log: options.log });

    const quiet = await grade('quiet');
    const runs: RunFigures[] = [figures('quiet', quiet, quiet, expected)];
    for (let i = 1; i <= (options.quick ? 1 : LOADED_RUNS); i++) {
      const loops = startBusyLoops();
      try {
        options.log(`loaded run ${i}: ${BUSY_LOOPS} busy loops beside the grader`);
        runs.push(figures(`loaded-${i}`, await grade(`loaded-${i}`), quiet, expected));
      } finally {
        stopBusyLoops(loops);
      }
    }
    const loaded = runs.slice(1);
    return {
      handIns: names.length,
      withReasonedPoints: expected.length,
      busyLoops: BUSY_LOOPS,
      quietSeconds: quiet.totalSeconds,
      worstLoadedToQuietRatio: Math.round((Math.max(...loaded.map((r) => r.seconds)) / quiet.totalSeconds) * 100) / 100,
      aimRatio: 3,
      everyLoadedRunEqualsQuiet: loaded.every((r) => r.differencesFromQuiet.length === 0),
      everyRunEqualsExpected: runs.every((r) => r.differencesFromExpected.length === 0),
      quietGrades: quiet.grades.map((g) => `${g.name}: ${key(g)}`),
      runs,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
