import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCli } from '../../testing/cli-process.ts';
import { wrongHintHandIn } from '../../testing/wrong-hint-hand-in.ts';

// Issue 22, "the wrong hint": graded as the grader grades it (sandboxed, behind the relay), 5.2.2's
// hint names the cause its own connection printed, in the terminal, in report.html and on the
// class dashboard alike; all three come from one CaseResult.

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'instanet-evidence-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const CAUSE = 'Error saving image: Incomplete image size received';

test("5.2.2's hint quotes its own connection's cause, not a decode error that followed it nor another connection's line", async () => {
  const handIn = await wrongHintHandIn(path.join(tmp, 'issue22'));
  const out = path.join(tmp, 'out');
  const run = await runCli(['test', '--submission', handIn, '--out', out], 240_000);
  expect(run.code, run.stdout + run.stderr).toBe(1);
  const block = /✘ 5\.2\.2 [^\n]*\n(?: {10}[^\n]*\n)*/.exec(run.stdout)?.[0] ?? '';
  expect(block, run.stdout).toMatch(/charged to receive_image/);
  const hint = /hint: ([^\n]*)/.exec(block)?.[1] ?? '';
  expect(hint).toContain(`(Your server said: ${CAUSE})`);
  expect(hint).not.toMatch(/codec can't decode|Expecting value|receive_json_message/);

  const grade = JSON.parse(await readFile(path.join(out, 'issue22', 'grade.json'), 'utf8')) as { cases: { id: string; hint?: string; serverOutput?: string[] }[] };
  const c = grade.cases.find((x) => x.id === '5.2.2');
  expect(c?.hint).toBe(hint);
  expect(c?.serverOutput).toContain(CAUSE);
  // The case's one connection, as the server saw it through the relay: every client it names is that one.
  const named = new Set((c?.serverOutput ?? []).flatMap((l) => [...l.matchAll(/\('127\.0\.0\.1', (\d+)\)/g)].map((m) => m[1])));
  expect(named.size, c?.serverOutput?.join('\n')).toBe(1);

  const report = await readFile(path.join(out, 'issue22', 'report.html'), 'utf8');
  expect(report).toContain(CAUSE);
  const dashboard = await readFile(path.join(out, 'index.html'), 'utf8');
  const row = /<tr><td class="num">\d+<\/td><td><code>5\.2\.2<\/code>[\s\S]*?<\/tr>/.exec(dashboard)?.[0] ?? '';
  expect(row).toContain(CAUSE);
  expect(row).not.toContain('codec can&#39;t decode');
}, 300_000);
