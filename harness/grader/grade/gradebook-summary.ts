import { statusText, type SubmissionGrade } from '../outputs/grade-format.ts';
import { columnsOf, readGrades } from './merge.ts';

// The class at a glance in Markdown, for a CI job summary ($GITHUB_STEP_SUMMARY) or a chat message:
// mean and median, how many could not be graded cleanly, and one row per student. Read from the
// grade.json files, so it works on a single run's --out folder and on a merged one alike.

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function gradebookSummary(grades: readonly SubmissionGrade[]): string {
  const columns = columnsOf(grades);
  const ordered = [...grades].sort((a, b) => a.name.localeCompare(b.name));
  const totals = ordered.map((g) => g.total);
  const max = ordered[0]?.max ?? 0;
  const mean = totals.length ? totals.reduce((s, t) => s + t, 0) / totals.length : 0;
  const troubled = ordered.filter((g) => g.status !== 'ok').length;
  const lines = [
    `## ${cell(ordered[0]?.rubric ?? 'Gradebook')}`,
    '',
    `${ordered.length} submission(s), mean ${mean.toFixed(1)} / ${max}, median ${median(totals)} / ${max}` + (troubled ? `, ${troubled} not graded cleanly` : '') + '.',
    '',
    `| Student | ${columns.map((c) => `${cell(c.title)} (${c.points})`).join(' | ')} | Total | Status |`,
    `|---|${columns.map(() => '---:').join('|')}|---:|---|`,
  ];
  for (const g of ordered) {
    const earned = new Map(g.tasks.map((t) => [t.id, t.earned]));
    lines.push(`| ${cell(g.name)} | ${columns.map((c) => String(earned.get(c.id) ?? 0)).join(' | ')} | ${g.total} | ${cell(statusText(g))} |`);
  }
  return `${lines.join('\n')}\n`;
}

export async function gradebookSummaryOf(dir: string): Promise<string> {
  return gradebookSummary(await readGrades(dir));
}
