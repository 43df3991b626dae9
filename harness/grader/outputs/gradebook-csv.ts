import { spreadsheetText } from '../../base/safe-text.ts';
import type { Rubric } from '../rubric/format.ts';
import { classFlags, type ClassFlags } from './class-flags.ts';
import { starterFlags, statusText, type SubmissionGrade } from './grade-format.ts';

// One row per submission, one column per task: what a spreadsheet or an LMS import expects.
// RFC 4180 quoting, and a leading quote for cells a spreadsheet would run as a formula (a student
// can name their folder "=HYPERLINK(...)", or " =HYPERLINK(...)"); control characters shown, not kept.
// The last two columns: hand-ins identical or near-identical to another (class-flags.ts), and a
// hand-in that changed the course's files or renamed a socket_utils.py function (grade.json's
// `starter`); empty when there is nothing to say.

export function csvCell(value: string | number): string {
  const text = typeof value === 'string' ? spreadsheetText(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export interface TaskColumn {
  id: string;
  title: string;
  points: number;
}

export function taskColumns(rubric: Rubric): TaskColumn[] {
  return rubric.tasks.map((t) => ({ id: t.id, title: t.title, points: t.points }));
}

export function gradebookHeader(columns: readonly TaskColumn[]): string[] {
  return ['name', ...columns.map((c) => `${c.id} (${c.points})`), `total (${columns.reduce((s, c) => s + c.points, 0)})`, 'status', 'similar', 'starter check'];
}

/** `flags`: per name, the TA's note on identical or near-identical hand-ins (class-flags.ts); default: identical ones. */
export function gradebookCsv(columns: readonly TaskColumn[], grades: readonly SubmissionGrade[], flags: ClassFlags = classFlags(grades)): string {
  const rows = [gradebookHeader(columns)];
  for (const g of [...grades].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const byId = new Map(g.tasks.map((t) => [t.id, t.earned]));
    rows.push([g.name, ...columns.map((c) => String(byId.get(c.id) ?? 0)), String(g.total), statusText(g), flags.get(g.name) ?? '', starterFlags(g).join('; ')]);
  }
  const numeric = (i: number) => i > 0 && i <= columns.length + 1;
  return rows.map((r, n) => r.map((cell, i) => csvCell(n === 0 || !numeric(i) ? cell : Number(cell))).join(',')).join('\r\n') + '\r\n';
}

/** Parses a gradebook.csv written by gradebookCsv (for merging shards). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
