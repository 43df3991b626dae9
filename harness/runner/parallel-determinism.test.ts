import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { checkDeterminism } from '../tools/determinism.ts';

// The promise of `instanet test --parallel`: the same verdict for every case as the sequential
// runner, run after run, on the course's correct sample and on a mutant whose failures skip
// dependents in other groups. (10 runs each: `npx tsx harness/tools/determinism.ts --lanes 3`.)

const sample = (name: string) => fileURLToPath(new URL(`../../fixtures/submissions/${name}`, import.meta.url));
const COMMAND = 'python3 server.py --port {port}';

describe('parallel runs give the sequential verdicts', () => {
  test.each(['correct', 'json-single-recv'])('%s: 1 sequential run, 3 parallel runs, identical verdicts', async (name) => {
    const sequential = await checkDeterminism(sample(name), 1, 1, COMMAND, 1);
    const parallel = await checkDeterminism(sample(name), 3, 1, COMMAND, 3);
    expect(parallel.differences).toEqual([]);
    expect(parallel.verdicts).toEqual(sequential.verdicts);
    expect(Object.keys(sequential.verdicts).length).toBeGreaterThan(70);
  }, 240_000);
});
