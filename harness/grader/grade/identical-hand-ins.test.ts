import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classFlags } from '../outputs/class-flags.ts';
import { parseCsv } from '../outputs/gradebook-csv.ts';
import { runGrade } from './grade-run.ts';
import { SIMILAR_THRESHOLD, fingerprint, shingles, similarity, similarPairs, starterShingles } from '../outputs/similarity.ts';
import { makeGrade } from '../outputs/test-grades.ts';

// Issue 22: two identical hand-ins were graded once and each copy's report.html, results.json and
// suite.html named the other student. A student's files must never name another student; the TA is
// told instead, in gradebook.csv and the dashboard, with near-identical socket_utils.py as well.

const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
const read = (rel: string) => readFile(path.join(FIXTURES, rel), 'utf8');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'grader-identical-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The correct sample as a student might disguise it: names changed, comments added, blank lines moved. */
function disguised(source: string): string {
  return source
    .replace(/\bbuffer\b/g, 'buf')
    .replace(/\bdata\b/g, 'payload')
    .replace(/^def /gm, '# my own work\n\ndef ');
}

describe('near-identical socket_utils.py', () => {
  it('a disguised copy is above the threshold; an independent implementation and the bare starter are not', async () => {
    const starter = await starterShingles();
    const correct = await read('submissions/correct/socket_utils.py');
    const copy = disguised(correct);
    expect(copy).not.toBe(correct);
    expect(similarity(shingles(correct), shingles(copy), starter)).toBeGreaterThanOrEqual(SIMILAR_THRESHOLD);
    // careful_socket_utils.py was written from the contract, not from the sample.
    expect(similarity(shingles(correct), shingles(await read('course-standins/careful_socket_utils.py')), starter)).toBeLessThan(0.5);
    // Two students who both handed in the untouched starter have nothing of their own to compare.
    const bare = await read('broken-submissions/skeleton/socket_utils.py');
    expect(similarity(shingles(bare), shingles(bare), starter)).toBe(0);
    // The fingerprints kept in similarity.json give the same answer.
    const pairs = similarPairs(new Map([['a', fingerprint(correct, starter)], ['b', fingerprint(copy, starter)], ['c', fingerprint(bare, starter)], ['d', fingerprint(bare, starter)]]));
    expect(pairs.map((p) => [p.a, p.b])).toEqual([['a', 'b']]);
  });

  it('the TA note names the others; a hand-in with nothing to hash is never identical', () => {
    const flags = classFlags(
      [
        makeGrade('ann', [0, 0], { key: 'k1' }),
        makeGrade('ben', [0, 0], { key: 'k1' }),
        makeGrade('cy', [0, 0], { key: 'k2' }),
        makeGrade('dee', [0, 0], { key: '', status: 'no-server' }),
        makeGrade('eve', [0, 0], { key: '', status: 'no-server' }),
      ],
      [{ a: 'ann', b: 'cy', score: 0.93 }],
    );
    expect(Object.fromEntries(flags)).toEqual({
      ann: 'identical files: ben; socket_utils.py 93% like cy',
      ben: 'identical files: ann',
      cy: 'socket_utils.py 93% like ann',
    });
  });
});

describe('a class with identical and near-identical hand-ins', () => {
  it("no student's file names another student; gradebook.csv and the dashboard tell the TA", async () => {
    const root = path.join(tmp, 'class');
    const crash = path.join(FIXTURES, 'broken-submissions/crash-at-startup');
    // The identical pair runs (its suite report is copied for the copy); the near-identical pair crashes at start.
    for (const name of ['zelda-original', 'yorick-copy']) await cp(path.join(FIXTURES, 'submissions/correct'), path.join(root, name), { recursive: true });
    for (const name of ['xena', 'wanda']) await cp(crash, path.join(root, name), { recursive: true });
    const correct = await read('submissions/correct/socket_utils.py');
    await writeFile(path.join(root, 'xena', 'socket_utils.py'), correct);
    await writeFile(path.join(root, 'wanda', 'socket_utils.py'), disguised(correct));
    const out = path.join(tmp, 'out');
    const stream = new PassThrough();
    stream.resume();
    const run = await runGrade({ submissions: root, out, jobs: 1, sandbox: 'none', force: false, progress: 'none', stream, caseTimeoutSeconds: 5 });
    expect(run.shared).toBe(1);

    for (const [me, other] of [
      ['yorick-copy', 'zelda-original'],
      ['zelda-original', 'yorick-copy'],
    ] as const) {
      const files = await readdir(path.join(out, me));
      expect(files).toEqual(expect.arrayContaining(['grade.json', 'results.json', 'report.html', 'suite.html', 'suite-report.json']));
      for (const file of files) expect(await readFile(path.join(out, me, file), 'utf8'), `${me}/${file}`).not.toContain(other);
    }
    const copyGrade = JSON.parse(await readFile(path.join(out, 'yorick-copy', 'grade.json'), 'utf8')) as { name: string; total: number };
    expect(copyGrade.name).toBe('yorick-copy');
    expect(await readFile(path.join(out, 'yorick-copy', 'suite.html'), 'utf8')).toMatch(/<title>[^<]*yorick-copy/);

    const csv = parseCsv(await readFile(path.join(out, 'gradebook.csv'), 'utf8'));
    const similar = csv[0]?.indexOf('similar') ?? -1;
    expect(similar).toBeGreaterThan(0);
    const note = (name: string) => csv.find((r) => r[0] === name)?.[similar];
    expect(note('yorick-copy')).toContain('identical files: zelda-original');
    expect(note('zelda-original')).toContain('identical files: yorick-copy');
    expect(note('wanda')).toMatch(/socket_utils\.py \d+% like xena/);
    expect(note('xena')).toMatch(/socket_utils\.py \d+% like wanda/);
    const dashboard = await readFile(path.join(out, 'index.html'), 'utf8');
    expect(dashboard).toContain('Identical or near-identical hand-ins');
    expect(dashboard).toContain('identical files: zelda-original');
  }, 300_000);
});
