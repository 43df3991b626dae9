import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSandbox, resolvePython, type PythonRuntime, type SandboxPlan } from '../../sandbox/sandbox.ts';
import { limitsOf } from '../rubric/limits.ts';
import { loadRubric } from '../rubric/loader.ts';
import type { Rubric } from '../rubric/format.ts';
import { clientRunReport } from './run-report.ts';
import { runSandboxedClientHalf } from './sandboxed-client-half.ts';


// The client half's deadlines, with real processes: the kit's correct socket_utils.py, made to sleep
// in send_json_message_with_image. A sleep is the hand-in's own choice of time, so it counts in own
// time (harness/process/own-time.ts) however busy the machine is, and a check that sleeps past its
// budget fails, once: a second look is only for wall-clock verdicts, and the judge keeps none.

const CORRECT = fileURLToPath(new URL('../../../fixtures/submissions/correct/', import.meta.url));
const IMAGE_CHECKS = ['client.5.1', 'client.5.2', 'client.6.1', 'client.6.2'];

let rubric: Rubric;
let plan: SandboxPlan;
let python: PythonRuntime;
const dirs: string[] = [];

beforeAll(async () => {
  rubric = (await loadRubric()).rubric;
  plan = await planSandbox('auto');
  python = await resolvePython();
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function handIn(slowWhen: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'instanet-slow-client-'));
  dirs.push(dir);
  cpSync(CORRECT, dir, { recursive: true });
  const file = path.join(dir, 'socket_utils.py');
  const source = readFileSync(file, 'utf8');
  const slow = `    import os as _os\n    if ${slowWhen}:\n        time.sleep(30)\n`;
  writeFileSync(file, source.replace(/(def send_json_message_with_image\([^\n]*\n(?:\s+"""[\s\S]*?"""\n)?)/, `$1${slow}`));
  expect(readFileSync(file, 'utf8')).toContain('time.sleep(30)');
  return dir;
}

async function clientHalf(serverDir: string) {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'instanet-second-look-'));
  dirs.push(scratch);
  return runSandboxedClientHalf({
    serverDir,
    rubric,
    plan,
    limits: limitsOf(rubric),
    python,
    hide: [],
    scratch,
    timeoutMs: 120_000,
    // The course rubric's own per-check timeout: what grading uses.
    caseMs: rubric.timeouts.caseSeconds * 1000,
  });
}

describe('client half: deadlines in own time', () => {
  it('a client that sleeps past its budget fails its image checks at once, with no second look; the other checks pass', async () => {
    const result = await clientHalf(handIn('True'));
    expect(result.failure).toBeUndefined();
    expect(result.kitError).toBeUndefined();
    const failed = result.outcomes.filter((o) => o.verdict !== 'PASSED').map((o) => o.id);
    expect(failed.sort()).toEqual([...IMAGE_CHECKS, 'client.7.1'].sort());
    for (const id of IMAGE_CHECKS) expect(result.outcomes.find((o) => o.id === id)?.detail).toMatch(/timed out after 3\.0 s/);
    expect(result.secondLook).toBeUndefined();
    // `instanet test --client` reports the same verdicts, judged once.
    const report = clientRunReport(result, { rubric, target: 'test', startedAt: new Date(), durationMs: 0, caseTimeoutMs: 3000, strict: false, interrupted: false });
    expect(report.cases.find((c) => c.id === 'client.5.1')).toMatchObject({ verdict: 'FAILED' });
    expect(report.cases.find((c) => c.id === 'client.5.1')?.firstRun).toBeUndefined();
    expect(result.outcomes.find((o) => o.id === 'client.2.1')?.verdict).toBe('PASSED');
  }, 150_000);
});
