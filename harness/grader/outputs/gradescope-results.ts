import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { replaceFile } from '../../../reference/server/store/atomic-write.ts';
import { fencedBlock, oneLine } from '../../base/safe-text.ts';
import { starterFlags, statusText, type GradedCase, type SubmissionGrade } from './grade-format.ts';

// Gradescope's results.json: one test per rubric item (its points), the cases behind it in the
// test's markdown output with the hint a student can act on. Scores are the grader's own figures,
// so Gradescope, the CSV and the HTML report always agree.

export interface GradescopeTest {
  name: string;
  number: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed';
  output: string;
  output_format: 'md';
  visibility: 'visible' | 'hidden' | 'after_due_date' | 'after_published';
  tags?: string[];
}

export interface GradescopeResults {
  score: number;
  execution_time: number;
  output: string;
  output_format: 'md';
  visibility: 'visible';
  stdout_visibility: 'hidden';
  tests: GradescopeTest[];
}

/** Inline Markdown from student text: one line, controls shown, every character that starts markup escaped. */
const mdEscape = (s: string) => oneLine(s).replace(/([\\`*_[\]<>|&!#~])/g, '\\$1');

// Expected, actual and server output are the student's bytes: each goes in a fenced block at the top
// level (a block inside a list item ends where the item does), its fence longer than any run of
// backticks in the text, so no renderer can be made to leave it (an inline code span could be ended
// by "\r\r" and what followed rendered as HTML).
function evidence(label: string, text: string): string {
  return `\n${label}:\n\n${fencedBlock(text)}\n`;
}

function caseLine(c: GradedCase): string {
  const mark = c.verdict === 'PASSED' ? '✅' : c.verdict === 'SKIPPED' ? '⏭️' : c.verdict === 'FAILED' || c.verdict === 'ERROR' ? '❌' : '⚠️';
  const lines = [`- ${mark} **${c.id}** ${mdEscape(c.title)} — ${c.verdict}${c.requirements.length ? ` (${c.requirements.join(', ')})` : ''}`];
  if (c.verdict !== 'PASSED') {
    if (c.detail) lines.push(`  - ${mdEscape(c.detail.split('\n')[0] ?? '')}`);
    if (c.hint) lines.push(`  - 💡 ${mdEscape(c.hint)}`);
    if (c.expected !== undefined) lines.push(evidence('expected', c.expected.slice(0, 300)));
    if (c.actual !== undefined) lines.push(evidence('actual', c.actual.slice(0, 300)));
    if (c.serverOutput?.length) lines.push(evidence('your server printed', c.serverOutput.slice(-5).join('\n').slice(-400)));
  }
  return lines.join('\n');
}

export function gradescopeResults(grade: SubmissionGrade): GradescopeResults {
  const byId = new Map(grade.cases.map((c) => [c.id, c]));
  const tests: GradescopeTest[] = [];
  grade.tasks.forEach((task, t) => {
    task.items.forEach((item, i) => {
      const cases = item.cases.map((c) => byId.get(c.id)).filter((c): c is GradedCase => !!c);
      tests.push({
        name: `${task.title}: ${item.name}`,
        number: `${t + 1}.${i + 1}`,
        score: item.earned,
        max_score: item.points,
        status: item.earned >= item.points ? 'passed' : 'failed',
        output: cases.length ? cases.map(caseLine).join('\n') : '_No case matched this item._',
        output_format: 'md',
        visibility: 'visible',
        tags: [task.id],
      });
    });
  });
  grade.ungraded.forEach((group, g) => {
    const cases = group.cases.map((id) => byId.get(id)).filter((c): c is GradedCase => !!c);
    tests.push({
      name: `${group.title} (not graded)`,
      number: `${grade.tasks.length + g + 1}`,
      score: 0,
      max_score: 0,
      status: cases.every((c) => c.verdict === 'PASSED') ? 'passed' : 'failed',
      output: cases.length ? cases.map(caseLine).join('\n') : '_Not run._',
      output_format: 'md',
      visibility: 'visible',
      tags: [group.id, 'ungraded'],
    });
  });
  const summary = [
    `**${grade.rubric}** — ${grade.total} / ${grade.max} points.`,
    grade.status === 'ok'
      ? ''
      : `\n**Status: ${mdEscape(statusText(grade))}** — ${grade.status.endsWith('-flood') ? 'every case ran; each scored on its own merits.' : 'cases that could not run score 0.'}`,
    grade.incidents.length ? `\n${grade.incidents.map((i) => `- ${mdEscape(i)}`).join('\n')}` : '',
    // Graded with the course's own files: a change to them is the first thing a student should read.
    starterFlags(grade).length ? `\n\n**Only socket_utils.py is yours:** ${starterFlags(grade).map(mdEscape).join('; ')}` : '',
    grade.imageFraming ? `\n\n${mdEscape(grade.imageFraming)}` : '',
  ].join('');
  return {
    score: grade.total,
    execution_time: Math.round(grade.durationMs / 1000),
    output: summary,
    output_format: 'md',
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests,
  };
}

/** A results.json for a run that could not grade at all: Gradescope must still get a file. */
export function crashResults(message: string, elapsedMs: number): GradescopeResults {
  return {
    score: 0,
    execution_time: Math.round(elapsedMs / 1000),
    output: `**The autograder could not grade this submission.**\n\n${fencedBlock(message)}\n\nPlease tell your instructor.`,
    output_format: 'md',
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests: [],
  };
}

/** Written to a temporary name and renamed, so a reader never sees half a file. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await replaceFile(file, Buffer.from(`${JSON.stringify(value, null, 2)}\n`));
}
