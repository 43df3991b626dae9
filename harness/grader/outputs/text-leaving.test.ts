import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GradeLog } from '../grade/grade-log.ts';
import { gradebookCsv, parseCsv, type TaskColumn } from './gradebook-csv.ts';
import { gradescopeResults } from './gradescope-results.ts';
import { pointsText } from './points-text.ts';
import { createProgress } from '../grade/progress.ts';
import { makeGrade } from './test-grades.ts';

// Issue 22: hand-in names and crash lines reached the terminal, grade.log, gradebook.csv and
// Gradescope's Markdown raw. Each output is written here with hostile text and read back as the
// terminal, a spreadsheet or a Markdown renderer would read it.

const ESC = '\u001b';
const NAME = `evil${ESC}[2J${ESC}]0;pwned\u0007${ESC}]8;;https://x.example/${ESC}\\\n[9/9] alice: 100/100\rok`;
const CRASH = `crashed: ${ESC}[31mTraceback\u0007\nforged line`;
const CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/; // everything but LF, which ends a line of ours

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'grader-text-leaving-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.setEncoding('utf8').on('data', (t: string) => (text += t));
  return { stream, text: () => text };
}

describe('terminal progress lines', () => {
  it('one line per event, no control character from the name or the summary', () => {
    const { stream, text } = collect();
    const progress = createProgress(1, stream, 'lines');
    progress.start(NAME, 3);
    progress.done(NAME, CRASH);
    progress.stop();
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(text()).not.toMatch(CONTROLS);
    expect(lines[1]).toMatch(/^\[1\/1\] evil␛\[2J/);
  });

  it('the student-facing points: the kit colours, the student does not', () => {
    const grade = makeGrade(NAME, [0, 0], { status: 'crashed', detail: CRASH, incidents: [`note ${ESC}]0;t\u0007`] });
    const plain = pointsText(grade);
    expect(plain).not.toMatch(CONTROLS);
    expect(plain.split('\n')[0]).toContain('evil␛[2J');
  });
});

describe('grade.log', () => {
  it('every line starts with a timestamp or the indent of a continuation; no control character', async () => {
    const file = path.join(tmp, 'grade.log');
    const log = new GradeLog(file);
    log.info(`${NAME}: ${CRASH}`);
    log.warn(`multi\nline ${ESC}[2J`);
    await log.close();
    const text = await readFile(file, 'utf8');
    expect(text).not.toMatch(CONTROLS);
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^(\d{4}-\d\d-\d\dT\S+ (INFO|WARN|ERROR) | {4})/);
    // The name is one field: its newline does not start a line of its own, even an indented one.
    expect(text.split('\n').filter((l) => l.includes('[9/9] alice'))).toHaveLength(1);
    expect(text.split('\n')[0]).toContain('[9/9] alice');
  });
});

describe('gradebook.csv', () => {
  const columns: TaskColumn[] = [
    { id: 'task1', title: 'Task 1', points: 10 },
    { id: 'task2', title: 'Task 2', points: 20 },
  ];
  it('a row per student whatever the name holds, controls shown, formulas guarded after leading spaces', () => {
    const csv = gradebookCsv(columns, [makeGrade(NAME, [0, 0], { status: 'crashed', detail: CRASH }), makeGrade('  =HYPERLINK("http://x","y")', [10, 20])]);
    expect(csv.replace(/\r\n/g, '\n')).not.toMatch(CONTROLS); // CRLF ends a row (RFC 4180)
    const rows = parseCsv(csv);
    expect(rows).toHaveLength(3);
    expect(rows[1]?.[0]).toBe(`'  =HYPERLINK("http://x","y")`);
    expect(rows[2]?.[0]).toMatch(/^evil␛\[2J␛\]0;pwned␇/);
    expect(rows[2]?.[4]).toBe('crashed: crashed: ␛[31mTraceback␇␊forged line');
  });
});

/**
 * The block structure CommonMark gives a document, as far as fenced code goes: which lines are in a
 * fenced block. An opening fence is 3+ backticks (no backtick after); the block ends at a line of
 * at least as many backticks, or where a container it sits in ends (so ours must be at column 0).
 */
function fencedLines(markdown: string): { inside: boolean[]; problems: string[] } {
  const lines = markdown.split('\n');
  const inside = lines.map(() => false);
  const problems: string[] = [];
  let fence = '';
  lines.forEach((line, i) => {
    if (fence) {
      if (new RegExp(`^ {0,3}\`{${fence.length},}\\s*$`).test(line)) fence = '';
      inside[i] = true; // the closing fence belongs to the block
      return;
    }
    const open = /^( *)(`{3,})[^`]*$/.exec(line);
    if (!open) return;
    if (open[1]) problems.push(`line ${i + 1}: indented fence (inside a container it can be ended by the container)`);
    if (i > 0 && lines[i - 1] !== '') problems.push(`line ${i + 1}: fence not after a blank line`);
    fence = open[2] as string;
    inside[i] = true;
  });
  if (fence) problems.push('a fence is never closed');
  return { inside, problems };
}

describe('Gradescope results.json', () => {
  it("student and server text stay inside code blocks nothing can close; no raw HTML outside them", () => {
    const hostile = 'oops ``` `` ````\r\r<script>alert(1)</script>\n```````\n<img src=x onerror=alert(2)>';
    const grade = makeGrade(NAME, [0, 0], {
      status: 'crashed',
      detail: CRASH,
      cases: [
        { id: '5.2.2', title: 'upload', source: 'server', verdict: 'FAILED', requirements: ['IMG-2'], detail: `wrong ${hostile}`, hint: `see ${hostile}`, expected: '{"status": "success"}', actual: hostile, serverOutput: [hostile, `${ESC}[2Jline\r`] },
        { id: 'client.5.1', title: 'upload', source: 'client', verdict: 'FAILED', requirements: ['CLNT-1'], actual: hostile },
      ],
      tasks: [
        { id: 'task1', title: 'Task 1', points: 10, earned: 0, items: [{ name: 'x', points: 10, earned: 0, cases: [{ id: '5.2.2', weight: 1, credit: 0 }], unmatched: [] }] },
        { id: 'task2', title: 'Task 2', points: 20, earned: 0, items: [{ name: 'y', points: 20, earned: 0, cases: [{ id: 'client.5.1', weight: 1, credit: 0 }], unmatched: [] }] },
      ],
    });
    const results = gradescopeResults(grade);
    for (const markdown of [results.output, ...results.tests.map((t) => t.output)]) {
      expect(markdown).not.toContain('\r');
      expect(markdown).not.toMatch(CONTROLS);
      const { inside, problems } = fencedLines(markdown);
      expect(problems).toEqual([]);
      markdown.split('\n').forEach((line, i) => {
        if (inside[i]) return;
        // Outside code, every < is escaped, so no tag or autolink can start.
        expect(line.replace(/\\</g, '')).not.toContain('<');
        expect(line).not.toContain('`'.repeat(3));
      });
    }
    const first = results.tests[0]?.output ?? '';
    const { inside } = fencedLines(first);
    const scripts = first.split('\n').map((l, i) => [l, inside[i]] as const).filter(([l]) => l.includes('<script>'));
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, isInside] of scripts) expect(isInside).toBe(true);
  });
});
