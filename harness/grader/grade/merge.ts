import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dashboardHtml } from '../outputs/dashboard.ts';
import { MergeError } from '../errors.ts';
import type { SubmissionGrade } from '../outputs/grade-format.ts';
import { readPreviousGrade } from './grade-submission.ts';
import { gradebookCsv, type TaskColumn } from '../outputs/gradebook-csv.ts';
import { classFlags } from '../outputs/class-flags.ts';
import { readFingerprints, writeFingerprints } from './similar-hand-ins.ts';
import { similarPairs } from '../outputs/similarity.ts';

// `instanet gradebook merge OUT SHARD...`: the shards of a class graded on several machines (or CI
// matrix jobs) become one output folder. Everything needed is in each student's grade.json, so
// the merge needs neither the rubric nor the submissions.

export async function readGrades(dir: string): Promise<SubmissionGrade[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new MergeError(`cannot read ${dir} (${(error as Error).message})`);
  }
  const grades: SubmissionGrade[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const grade = await readPreviousGrade(path.join(dir, e.name, 'grade.json'));
    if (grade) grades.push(grade);
  }
  return grades;
}

export function columnsOf(grades: readonly SubmissionGrade[]): TaskColumn[] {
  const first = grades[0];
  if (!first) return [];
  const columns = first.tasks.map((t) => ({ id: t.id, title: t.title, points: t.points }));
  const signature = JSON.stringify(columns);
  for (const g of grades) {
    if (g.rubric !== first.rubric) throw new MergeError(`${g.name} was graded with rubric "${g.rubric}", ${first.name} with "${first.rubric}"`);
    const mine = JSON.stringify(g.tasks.map((t) => ({ id: t.id, title: t.title, points: t.points })));
    if (mine !== signature) throw new MergeError(`${g.name} was graded with different tasks or points than ${first.name}`);
  }
  return columns;
}

export interface MergeResult {
  grades: SubmissionGrade[];
  warnings: string[];
}

export async function mergeGradebooks(out: string, shardDirs: readonly string[]): Promise<MergeResult> {
  if (shardDirs.length === 0) throw new MergeError('name at least one shard output folder to merge');
  const warnings: string[] = [];
  const byName = new Map<string, { grade: SubmissionGrade; dir: string }>();
  for (const dir of shardDirs) {
    const grades = await readGrades(dir);
    if (grades.length === 0) warnings.push(`${dir} holds no graded submission`);
    for (const grade of grades) {
      const seen = byName.get(grade.name);
      if (seen) {
        // The same student in two shards: a re-run on another machine. The newer grade wins, loudly.
        const newer = grade.gradedAt > seen.grade.gradedAt ? { grade, dir } : seen;
        warnings.push(`${grade.name} appears in ${seen.dir} and ${dir}; keeping the grade from ${newer.dir}`);
        byName.set(grade.name, newer);
      } else byName.set(grade.name, { grade, dir });
    }
  }
  const all = [...byName.values()];
  const grades = all.map((a) => a.grade);
  const columns = columnsOf(grades);
  await mkdir(out, { recursive: true });
  const folders = new Set<string>();
  for (const { grade, dir } of all) {
    if (folders.has(grade.folder)) throw new MergeError(`two submissions use the output folder "${grade.folder}"`);
    folders.add(grade.folder);
    const from = path.resolve(dir, grade.folder);
    const to = path.resolve(out, grade.folder);
    if (from !== to) await cp(from, to, { recursive: true });
  }
  // Near-identical socket_utils.py across shards too: each shard kept its fingerprints.
  const fingerprints = new Map<string, number[]>();
  for (const dir of shardDirs) for (const [name, fp] of await readFingerprints(dir)) if (byName.get(name)?.dir === dir) fingerprints.set(name, fp);
  await writeFingerprints(out, fingerprints);
  const flags = classFlags(grades, similarPairs(fingerprints));
  await writeFile(path.join(out, 'gradebook.csv'), gradebookCsv(columns, grades, flags));
  await writeFile(path.join(out, 'index.html'), dashboardHtml(grades[0]?.rubric ?? 'gradebook', columns, grades, flags));
  return { grades, warnings };
}
