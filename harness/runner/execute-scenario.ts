import type { LoadedScenario } from '../scenarios/loader.ts';
import type { TargetInstance } from '../targets/target.ts';
import { pickHint } from './hints.ts';
import { effectiveLevel, type Profile } from './levels.ts';
import { KitBusyError } from '../errors.ts';
import type { CaseResult } from './report-format.ts';
import { runSteps, type StepContext } from './execute-steps.ts';
import { CaseSkip, StepFailure } from './step-failure.ts';
import type { Clock } from './templates.ts';
import { failureVerdict } from './verdicts.ts';
import { WireLog } from './wire-log.ts';
import type { ImageEncoder } from './image-framing.ts';

export interface ExecuteOptions {
  timeoutMs: number;
  profile: Profile;
  clock: Clock;
  password?: string;
  instanceIndex?: number;
  /** Filled with the local ports of the case's connections (to tell its server log lines from others'). */
  clientPorts?: Set<number>;
  /** Image bytes in the server author's own framing (runner/image-framing.ts); default the reference's. */
  imageEncoder?: ImageEncoder;
}

export function baseResult(s: LoadedScenario, profile: Profile): Omit<CaseResult, 'verdict' | 'durationMs' | 'log' | 'transcript'> {
  return {
    id: s.id,
    title: s.title,
    group: s.group,
    groupTitle: s.groupTitle,
    tasks: s.tasks,
    requirements: s.requirements,
    level: s.level,
    effectiveLevel: effectiveLevel(s, profile),
  };
}

/** Runs one case against a started server and judges it. Never throws: a harness failure is ERROR. */
export async function executeScenario(s: LoadedScenario, instance: TargetInstance, options: ExecuteOptions): Promise<CaseResult> {
  const started = performance.now();
  const wire = new WireLog(`case ${s.id}`);
  const ctx: StepContext = {
    scenario: s,
    host: instance.host,
    port: instance.port,
    dataDir: instance.dataDir,
    timeoutMs: options.timeoutMs,
    ...(instance.progress ? { progress: instance.progress } : {}),
    password: options.password ?? '123',
    clock: options.clock,
    wire,
    log: [],
    conns: new Map(),
    lastImage: undefined,
    ...(options.imageEncoder ? { imageEncoder: options.imageEncoder } : {}),
  };
  const base = baseResult(s, options.profile);
  const finish = (rest: Partial<CaseResult> & Pick<CaseResult, 'verdict'>): CaseResult => ({
    ...base,
    durationMs: Math.round(performance.now() - started),
    log: ctx.log,
    ...(options.instanceIndex !== undefined ? { instance: options.instanceIndex } : {}),
    transcript: wire.events,
    ...rest,
  });
  try {
    await runSteps(s.steps, ctx);
    return finish({ verdict: 'PASSED' });
  } catch (error) {
    if (error instanceof StepFailure) {
      const step = ctx.failedStep ?? 'setup';
      const hint = pickHint(error.kind, ctx.failedStepHint, s.hint);
      ctx.log.push(`${step}: FAILED: expected ${error.expected}; got ${error.actual}`);
      return finish({
        verdict: failureVerdict(base.effectiveLevel),
        reason: `step ${step}: expected ${error.expected}; got ${error.actual}`,
        failure: { step, kind: error.kind, expected: error.expected, actual: error.actual, mismatches: error.mismatches, ...(error.ownTime ? { ownTime: true } : {}) },
        ...(hint ? { hint } : {}),
      });
    }
    if (error instanceof CaseSkip) return finish({ verdict: 'SKIPPED', reason: error.message });
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    ctx.log.push(`harness error: ${message}`);
    return finish({
      verdict: 'ERROR',
      reason: `the harness failed: ${message}`,
      failure: { step: ctx.failedStep ?? 'harness', kind: error instanceof KitBusyError ? 'kit-busy' : 'harness', expected: 'the harness to run the case', actual: error instanceof Error ? (error.stack ?? message) : message, mismatches: [] },
    });
  } finally {
    for (const conn of ctx.conns.values()) conn.destroy('end of case');
    wire.finish('end of case');
    for (const p of wire.clientPorts) options.clientPorts?.add(p);
    // The result already holds ctx.log; recording problems are added to it so a report shows them.
    for (const problem of wire.problems) ctx.log.push(problem);
  }
}
