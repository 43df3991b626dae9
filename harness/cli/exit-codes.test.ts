import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../process/free-port.ts';
import { EXIT, EXIT_BY_CODE, EXIT_TABLE } from './exit-codes.ts';

// Every command's bad-usage path, through the real `instanet` process: the exit code of the table
// and one line on stderr that names the command and what to fix, never a stack trace.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'harness/cli/instanet.mjs');
const CORRECT = path.join(ROOT, 'fixtures/submissions/correct');

const instanet = (args: readonly string[]) =>
  execa('node', [CLI, ...args], { cwd: ROOT, reject: false, timeout: 60_000, env: { NO_COLOR: '1' }, stdin: 'ignore' });

let scratch: string;
let typoScenarios: string;
let closedPort: number;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'instanet-exit-codes-'));
  typoScenarios = path.join(scratch, 'scenarios');
  await mkdir(typoScenarios);
  const valid = await readFile(path.join(ROOT, 'fixtures/scenarios/2-connect-login.yaml'), 'utf8');
  await writeFile(path.join(typoScenarios, '2-connect-login.yaml'), valid.replace('        expect: {status: success, message: Login successful}', '        expct: {status: success, message: Login successful}'));
  await copyFile(path.join(ROOT, 'fixtures/rubrics/cpe356.yaml'), path.join(scratch, 'rubric.yaml'));
  // A port nothing listens on: handed out by the OS, then closed again.
  closedPort = await freePort();
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

interface BadCall {
  args: () => string[];
  exit: number;
  says: RegExp;
}

const BAD_CALLS: Record<string, BadCall> = {
  'an unknown command': { args: () => ['frobnicate'], exit: EXIT.usage, says: /^instanet: unknown command 'frobnicate'/ },
  'test: an unknown option': { args: () => ['test', '--bogus'], exit: EXIT.usage, says: /^instanet test: unknown option '--bogus'/ },
  'test: a bad --timeout': { args: () => ['test', '--timeout', 'soon'], exit: EXIT.usage, says: /--timeout soon: expected a positive integer/ },
  'test: a --scenarios folder that is not there': { args: () => ['test', '--scenarios', '/nope'], exit: EXIT.usage, says: /^instanet test: --scenarios \/nope is not a directory$/ },
  'test: a scenario file with a typo': { args: () => ['test', '--scenarios', typoScenarios], exit: EXIT.usage, says: /2-connect-login\.yaml:\d+:\d+: unknown key "expct" in step/ },
  'test: --cwd that is not there': { args: () => ['test', '--server', 'python3 server.py --port {port}', '--cwd', '/does/not/exist'], exit: EXIT.usage, says: /--cwd \/does\/not\/exist is not a directory/ },
  'test: --server without {port}': { args: () => ['test', '--server', 'python3 server.py', '--cwd', CORRECT], exit: EXIT.usage, says: /--server must contain \{port\}/ },
  'test: --target and --server both': { args: () => ['test', '--target', '127.0.0.1:1', '--server', 'x {port}'], exit: EXIT.usage, says: /use either --target/ },
  'test: nothing listening at --target': { args: () => ['test', '--target', `127.0.0.1:${closedPort}`], exit: EXIT.environment, says: /nothing accepts connections at 127\.0\.0\.1:\d+; start the server first/ },
  'test: a --server program not on PATH': { args: () => ['test', '--server', 'no-such-python3 server.py --port {port}', '--cwd', CORRECT], exit: EXIT.environment, says: /no-such-python3 .* is not on PATH/ },
  'grade: a bad --jobs': { args: () => ['grade', 'submissions', '--jobs', 'abc'], exit: EXIT.usage, says: /^instanet grade: --jobs abc: expected a positive integer/ },
  'grade: a --shard past the end': { args: () => ['grade', 'submissions', '--shard', '4/3'], exit: EXIT.usage, says: /^instanet grade: --shard must be i\/n/ },
  'grade: no submissions folder': { args: () => ['grade'], exit: EXIT.usage, says: /missing argument SUBMISSIONS/ },
  'grade: a submissions folder that is not there': { args: () => ['grade', path.join(scratch, 'none'), '--out', path.join(scratch, 'grade-out'), '--rubric', path.join(scratch, 'rubric.yaml'), '--sandbox', 'none', '--progress', 'none'], exit: EXIT.usage, says: /^instanet grade: / },
  'serve: a port out of range': { args: () => ['serve', '--port', '99999'], exit: EXIT.usage, says: /^instanet serve: --port 99999: expected an integer from 0 to 65535/ },
  'serve: an unknown mode': { args: () => ['serve', '--mode', 'lenient'], exit: EXIT.usage, says: /^instanet serve: .*lenient/ },
  'proxy: no --upstream': { args: () => ['proxy', '--listen', '0'], exit: EXIT.usage, says: /^instanet proxy: required option '--upstream <host:port>' not specified/ },
  'transcript: a missing file argument': { args: () => ['transcript', 'show'], exit: EXIT.usage, says: /^instanet transcript show: missing required argument 'file'/ },
  'transcript: a transcript that is not there': { args: () => ['transcript', 'show', path.join(scratch, 'none.jsonl')], exit: EXIT.usage, says: /^instanet transcript: cannot read/ },
  'reports: a bad --port': { args: () => ['reports', 'serve', '--port', 'abc'], exit: EXIT.usage, says: /^instanet reports serve: / },
  'grade: an --only that matches no one': { args: () => ['grade', path.join(ROOT, 'fixtures/submissions'), '--only', 'correct,hang', '--out', path.join(scratch, 'grade-only'), '--rubric', path.join(scratch, 'rubric.yaml'), '--sandbox', 'none', '--progress', 'none'], exit: EXIT.usage, says: /^instanet grade: --only "correct,hang" matches none of the \d+ submissions/ },
  'gradebook: merge without folders': { args: () => ['gradebook', 'merge'], exit: EXIT.usage, says: /^instanet gradebook merge: missing required argument 'out'/ },
  'client: an unknown client command': { args: () => ['client', 'bogus'], exit: EXIT.usage, says: /^instanet client: unknown command 'bogus'/ },
};

describe('instanet exit codes', () => {
  test.each(Object.entries(BAD_CALLS))('%s', async (_name, call) => {
    const run = await instanet(call.args());
    const lines = run.stderr.trimEnd().split('\n');
    expect(run.exitCode, run.stderr).toBe(call.exit);
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(call.says);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  test('--help prints the table', async () => {
    const run = await instanet(['--help']);
    expect(run.exitCode).toBe(EXIT.ok);
    for (const [code, meaning] of EXIT_TABLE) expect(run.stdout).toContain(`${String(code).padStart(3)}  ${meaning}`);
  });

  test('every INSTANET_ERR_ code the kit defines has a row', async () => {
    const defined = new Set<string>();
    for (const root of ['spec', 'reference', 'harness']) {
      const entries = await readdir(path.join(ROOT, root), { recursive: true, withFileTypes: true });
      for (const entry of entries.filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))) {
        const text = await readFile(path.join(entry.parentPath, entry.name), 'utf8');
        for (const match of text.matchAll(/'(INSTANET_ERR_[A-Z_]+)'/g)) defined.add(match[1]!);
      }
    }
    expect([...defined].filter((code) => !EXIT_BY_CODE.has(code)).sort()).toEqual([]);
  });
});
