import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRADESCOPE_RESULTS_ENV, GRADESCOPE_SUBMISSION_ENV, runGradescope } from './run.ts';

// --gradescope inside an autograder image, with /autograder/* redirected by environment variables.

const BROKEN = fileURLToPath(new URL('../../../fixtures/broken-submissions/', import.meta.url));
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'grader-gradescope-'));
});
afterAll(async () => {
  delete process.env[GRADESCOPE_SUBMISSION_ENV];
  delete process.env[GRADESCOPE_RESULTS_ENV];
  await rm(tmp, { recursive: true, force: true });
});

describe('--gradescope', () => {
  it('grades /autograder/submission and writes /autograder/results/results.json', async () => {
    const submission = path.join(tmp, 'submission');
    await cp(path.join(BROKEN, 'crash-at-startup'), submission, { recursive: true });
    const results = path.join(tmp, 'results', 'results.json');
    process.env[GRADESCOPE_SUBMISSION_ENV] = submission;
    process.env[GRADESCOPE_RESULTS_ENV] = results;
    const run = await runGradescope({ sandbox: 'auto', force: true, progress: 'none', stream: quiet, caseTimeoutSeconds: 2 });
    expect(run.score).toBe(0);
    const written = JSON.parse(await readFile(results, 'utf8')) as { score: number; output: string; tests: { number: string; max_score: number }[] };
    expect(written.score).toBe(0);
    expect(written.output).toMatch(/Status: crashed: NameError/);
    expect(written.tests.reduce((s, t) => s + t.max_score, 0)).toBe(100);
  });

  it('still writes results.json when the grader itself fails', async () => {
    const results = path.join(tmp, 'crash', 'results.json');
    process.env[GRADESCOPE_SUBMISSION_ENV] = path.join(tmp, 'submission');
    process.env[GRADESCOPE_RESULTS_ENV] = results;
    const rubric = path.join(tmp, 'broken-rubric.yaml');
    await writeFile(rubric, 'name: x\nversion: 1\ntasks: []\n');
    await expect(runGradescope({ rubricFile: rubric, sandbox: 'auto', force: true, progress: 'none', stream: quiet })).rejects.toThrow(/tasks/);
    const written = JSON.parse(await readFile(results, 'utf8')) as { score: number; output: string; tests: unknown[] };
    expect(written.score).toBe(0);
    expect(written.tests).toEqual([]);
    expect(written.output).toMatch(/could not grade this submission[\s\S]*broken-rubric\.yaml:3/);
  });
});
