import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { createProgress } from './progress.ts';

// Issue 11, point 7: the progress of `instanet grade` names who is being graded and moves per case.

/** A stream that says it is a terminal, collecting what is written. */
function fakeTerminal(): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200, rows: 40 }) as unknown as NodeJS.WriteStream;
  let out = '';
  stream.on('data', (c: Buffer) => (out += c.toString()));
  // cli-progress moves the cursor through the readline helpers, which need these on a terminal.
  Object.assign(stream, { cursorTo: () => true, moveCursor: () => true, clearLine: () => true, clearScreenDown: () => true });
  return { stream, text: () => out };
}

function linesStream(): { stream: NodeJS.WritableStream; lines: () => string[] } {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (c: Buffer) => (out += c.toString()));
  return { stream, lines: () => out.split('\n').filter(Boolean) };
}

describe('grade progress', () => {
  test('the bar names the submissions in flight before any finishes, and moves with each case', async () => {
    const term = fakeTerminal();
    const progress = createProgress(5, term.stream, 'auto');
    progress.start('alice', 4);
    progress.start('bob', 4);
    await new Promise((r) => setImmediate(r));
    const atStart = term.text();
    expect(atStart).toContain('now: alice 0/4, bob 0/4');
    progress.caseDone('alice');
    progress.caseDone('alice');
    await new Promise((r) => setImmediate(r));
    const afterCases = term.text().slice(atStart.length);
    expect(afterCases).toContain('alice 2/4');
    // Two of four cases of one of five submissions: the bar is no longer at 0, and the ETA is known.
    expect(afterCases).not.toContain('ETA ?');
    expect(afterCases).toContain('0/5');
    progress.done('alice', '90/100 ok');
    await new Promise((r) => setImmediate(r));
    expect(term.text()).toContain('1/5');
    expect(term.text()).toContain('now: bob 0/4');
    progress.stop();
  });

  test('line mode prints a line when each submission starts and when it ends', () => {
    const out = linesStream();
    const progress = createProgress(2, out.stream, 'lines');
    progress.start('alice', 3);
    expect(out.lines()).toEqual(['[0/2] alice: grading… (1 in flight)']);
    progress.start('bob', 3);
    progress.caseDone('alice');
    progress.done('alice', '80/100 ok');
    progress.done('bob', '0/100 no-listen');
    const lines = out.lines();
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe('[0/2] bob: grading… (2 in flight)');
    expect(lines[2]).toMatch(/^\[1\/2\] alice: 80\/100 ok \(\d+s elapsed · ETA /);
    expect(lines[3]).toMatch(/^\[2\/2\] bob: 0\/100 no-listen \(\d+s elapsed\)$/);
  });
});
