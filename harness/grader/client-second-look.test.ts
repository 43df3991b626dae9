import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSandbox, resolvePython, type PythonRuntime, type SandboxPlan } from '../sandbox/sandbox.ts';
import { limitsOf } from './rubric-limits.ts';
import { loadRubric } from './rubric-loader.ts';
import type { Rubric } from './rubric-format.ts';
import { clientRunReport } from './client-run-report.ts';
import { runSandboxedClientHalf } from './sandboxed-client-half.ts';


// The client half's second look, with real processes: the kit's correct socket_utils.py, made slow
// in send_json_message_with_image. "Slow the first time" stands for a machine busy during the first
// run: the runner's copy of the hand-in sits in a folder named `client` then, `client-again` for
// the second look. "Slow every time" is a client that really hangs.

const CORRECT = fileURLToPath(new URL('../../fixtures/submissions/correct/', import.meta.url));
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

describe('client half: second look at checks that ran out of time', () => {
  it('a check slow only in the first run passes when judged again alone', async () => {
    const result = await clientHalf(handIn("_os.path.basename(_os.getcwd()) == 'client'"));
    expect(result.failure).toBeUndefined();
    const failed = result.outcomes.filter((o) => o.verdict !== 'PASSED').map((o) => `${o.id}: ${o.detail}`);
    expect(failed).toEqual([]);
    const judged = result.secondLook?.judged ?? [];
    expect(judged.map((j) => j.id).sort()).toEqual(expect.arrayContaining(IMAGE_CHECKS));
    for (const j of judged) expect(j).toMatchObject({ first: 'FAILED', second: 'PASSED' });
    expect(result.secondLook?.notRerun).toEqual([]);
    // `instanet test --client` reports the same: the final verdict, the first beside it.
    const report = clientRunReport(result, { rubric, target: 'test', startedAt: new Date(), durationMs: 0, caseTimeoutMs: 3000, strict: false, interrupted: false });
    expect(report.cases.find((c) => c.id === 'client.5.1')).toMatchObject({ verdict: 'PASSED', firstRun: { verdict: 'FAILED' } });
    expect(report.cases.find((c) => c.id === 'client.2.1')?.firstRun).toBeUndefined();
  }, 150_000);

  it('a client that hangs every time keeps its failures; the look stops after two confirm it', async () => {
    const result = await clientHalf(handIn('True'));
    const failedIds = result.outcomes.filter((o) => o.verdict === 'FAILED').map((o) => o.id);
    expect(failedIds).toEqual(expect.arrayContaining(IMAGE_CHECKS));
    const look = result.secondLook;
    expect(look?.judged).toHaveLength(2);
    for (const j of look?.judged ?? []) expect(j).toMatchObject({ first: 'FAILED', second: 'FAILED' });
    expect(look?.notRerun.length).toBe(failedIds.length - 2);
    // The checks that never touch images are not doubted at all.
    expect(result.outcomes.find((o) => o.id === 'client.2.1')?.verdict).toBe('PASSED');
  }, 150_000);
});
