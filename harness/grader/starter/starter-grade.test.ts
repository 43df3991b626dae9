import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../testing/cli-process.ts';
import { SubmissionGrade } from '../outputs/grade-format.ts';
import { runGrade } from '../grade/grade-run.ts';
import { parseCsv } from '../outputs/gradebook-csv.ts';

// `instanet grade --starter DIR` end to end, sandboxed: the course's files run with every hand-in,
// whatever the hand-in's own copies say, and the changes are flagged. The starter is the one the kit
// ships (fixtures/broken-submissions/skeleton: the hand-out's server.py, constants.py and skeleton
// socket_utils.py). Expectations are reasoned from what the course app does with those files.

const SKELETON = fileURLToPath(new URL('../../../fixtures/broken-submissions/skeleton/', import.meta.url));
const SAMPLES = fileURLToPath(new URL('../../../fixtures/submissions/', import.meta.url));
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'starter-grade-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function readGrade(out: string, name: string): Promise<SubmissionGrade> {
  return SubmissionGrade.parse(JSON.parse(await readFile(path.join(out, name, 'grade.json'), 'utf8')));
}

describe('instanet grade --starter', () => {
  let out: string;
  let starterLines: number;

  beforeAll(async () => {
    const cls = path.join(root, 'class');
    await mkdir(cls);
    // The socket layer pasted into server.py, socket_utils.py the skeleton's.
    await cp(path.join(SAMPLES, 'layer-in-server'), path.join(cls, 'pasted'), { recursive: true });
    // correct's layer with receive_image renamed, and server.py importing the new name: as handed
    // in it would serve; with the starter's server.py, `from socket_utils import … receive_image` fails.
    const renamed = path.join(cls, 'renamed');
    await cp(path.join(SAMPLES, 'correct'), renamed, { recursive: true });
    for (const file of ['socket_utils.py', 'server.py']) {
      const text = await readFile(path.join(renamed, file), 'utf8');
      await writeFile(path.join(renamed, file), text.replace(/\breceive_image\b/g, 'recv_image'));
    }
    starterLines = (await readFile(path.join(SKELETON, 'server.py'), 'utf8')).split('\n').length;
    out = path.join(root, 'out');
    await runGrade({ submissions: cls, starter: SKELETON, out, jobs: 2, sandbox: 'auto', caseTimeoutSeconds: 8, force: false, progress: 'none', stream: quiet });
  }, 300_000);

  it("grades the pasted layer with the starter's server.py: the skeleton's grade (crashed, 0), flagged with the lines it added", async () => {
    const grade = await readGrade(out, 'pasted');
    expect([grade.status, grade.total]).toEqual(['crashed', 0]);
    expect(grade.detail).toMatch(/^TypeError: cannot unpack non-iterable NoneType object/);
    const pastedLines = (await readFile(path.join(SAMPLES, 'layer-in-server', 'server.py'), 'utf8')).split('\n').length;
    expect(grade.starter).toEqual({ origin: 'given', changed: [{ file: 'server.py', added: pastedLines - starterLines, removed: 0 }], signatures: [] });
  });

  it('names the renamed function in one line, and runs the starter\'s server.py, which cannot import it', async () => {
    const grade = await readGrade(out, 'renamed');
    expect(grade.status).toBe('crashed');
    expect(grade.detail).toMatch(/ImportError: cannot import name 'receive_image' from 'socket_utils'/);
    expect(grade.starter?.signatures).toEqual(['receive_image is missing; recv_image looks like it renamed (the starter declares receive_image(sock) -> bytes)']);
    // server.py: the import line and the call both changed.
    expect(grade.starter?.changed).toEqual([{ file: 'server.py', added: 2, removed: 2 }]);
  });

  it('flags both in gradebook.csv, report.html and grade.json, never naming another student', async () => {
    const csv = parseCsv(await readFile(path.join(out, 'gradebook.csv'), 'utf8'));
    expect(csv[0]?.at(-1)).toBe('starter check');
    const flags = Object.fromEntries(csv.slice(1).map((r) => [r[0], r.at(-1)]));
    expect(flags['pasted']).toMatch(/^server\.py differs from the starter \(\+\d+ −0 lines; the starter's server\.py was run\)$/);
    expect(flags['renamed']).toBe(
      "server.py differs from the starter (+2 −2 lines; the starter's server.py was run); receive_image is missing; recv_image looks like it renamed (the starter declares receive_image(sock) -> bytes)",
    );
    const report = await readFile(path.join(out, 'renamed', 'report.html'), 'utf8');
    expect(report).toContain('receive_image is missing; recv_image looks like it renamed');
    for (const [mine, other] of [['pasted', 'renamed'], ['renamed', 'pasted']] as const) {
      for (const file of ['grade.json', 'report.html', 'results.json']) expect(await readFile(path.join(out, mine, file), 'utf8')).not.toContain(other);
    }
  });
});

describe("without --starter: the class's most common course files", () => {
  it('a class of three where one changed server.py: that one runs with the other two\'s server.py and is flagged', async () => {
    const cls = path.join(root, 'three');
    for (const name of ['alice', 'bob', 'carol']) await cp(path.join(SAMPLES, 'correct'), path.join(cls, name), { recursive: true });
    // As handed in, carol's server could not start at all.
    const carol = path.join(cls, 'carol', 'server.py');
    await writeFile(carol, `raise SystemExit("this server.py is not the course's")\n${await readFile(carol, 'utf8')}`);
    const out = path.join(root, 'three-out');
    // Only carol is graded; the starter is still counted over the whole class.
    const run = await runGrade({ submissions: cls, only: 'carol', out, jobs: 1, sandbox: 'auto', caseTimeoutSeconds: 8, force: false, progress: 'none', stream: quiet });
    const grade = run.grades[0];
    expect([grade?.name, grade?.status, grade?.total]).toEqual(['carol', 'ok', 100]);
    expect(grade?.starter).toEqual({ origin: 'class', changed: [{ file: 'server.py', added: 1, removed: 0 }], signatures: [] });
    const log = await readFile(path.join(out, 'grade.log'), 'utf8');
    expect(log).toContain("no --starter: the class's most common server.py, constants.py served as the starter (hand-ins that agreed: server.py: 2 of 3, constants.py: 3 of 3)");
    for (const file of ['grade.json', 'report.html', 'results.json']) {
      const text = await readFile(path.join(out, 'carol', file), 'utf8');
      expect(text).not.toMatch(/alice|bob/);
    }
  }, 300_000);
});

describe('instanet test --submission --starter: the student sees what the grader gives', () => {
  it('the pasted layer: the skeleton\'s grade, the flag printed first, exit 1', async () => {
    const out = path.join(root, 'student');
    const run = await runCli(['test', '--submission', path.join(SAMPLES, 'layer-in-server'), '--starter', SKELETON, '--out', out], 240_000);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/— layer-in-server: 0\/100 {2}status crashed: TypeError: cannot unpack non-iterable NoneType object/);
    expect(run.stdout).toMatch(/^ {2}flagged: server\.py differs from the starter \(\+\d+ −0 lines; the starter's server\.py was run\)$/m);
    expect(run.stderr).not.toContain('warning: no --starter');
  }, 300_000);
});

describe('a bad --starter is the user\'s error in one line, exit 2', () => {
  it.each([
    ['grade', ['grade', SAMPLES, '--starter', '/nonexistent/starter']],
    ['test --submission', ['test', '--submission', path.join(SAMPLES, 'correct'), '--starter', '/nonexistent/starter']],
  ])('%s', async (_, args) => {
    const run = await runCli(args, 60_000);
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/--starter \/nonexistent\/starter is not a folder \(give the course starter folder as handed out/);
  });

  it('--starter without --submission in `instanet test` is refused, exit 2', async () => {
    const run = await runCli(['test', '--starter', SKELETON], 60_000);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(/--starter goes with --submission DIR/);
  });
});
