import { kindsOf, type Step } from '../scenarios/format.ts';
import type { StepContext } from './step-context.ts';
import { StepFailure } from './step-failure.ts';
import { connection, STEP_KINDS, type StepKind } from './steps/index.ts';

// Runs a scenario's steps against one server. A step either completes or throws: StepFailure
// (the server did not do what the spec asks), CaseSkip (cannot be judged here) or anything else
// (a harness bug, reported as ERROR). What each kind of step does lives in steps/, one file a kind.

export type { StepContext } from './step-context.ts';
export { connection } from './steps/index.ts';

function clientOf(step: Step, ctx: StepContext): string {
  return step.client ?? (Object.keys(ctx.scenario.clients)[0] as string);
}

function kindOf(step: Step, index: string): StepKind {
  // The loader let through only steps that name one kind (with send or raw, expect is their reply check).
  const [name] = kindsOf(step);
  if (name === undefined) throw new Error(`internal: step ${index} has nothing to do`);
  return STEP_KINDS[name];
}

function describeStep(step: Step, kind: StepKind, index: string, client: string): string {
  return step.label ? `${index} (${step.label})` : `${index} (${client}: ${kind.describe(step)})`;
}

export async function runSteps(steps: readonly Step[], ctx: StepContext, prefix = ''): Promise<void> {
  for (let i = 0; i < steps.length; i += 1) {
    await runStep(steps[i] as Step, ctx, `${prefix}${i + 1}`);
  }
}

async function runStep(step: Step, ctx: StepContext, index: string): Promise<void> {
  const client = clientOf(step, ctx);
  const kind = kindOf(step, index);
  const timeoutMs = step.timeout ?? ctx.timeoutMs;
  try {
    // Kinds that talk to the server get the client's connection, opened (and logged in) on first use.
    const conn = kind.usesConnection ? await connection(ctx, client, timeoutMs) : undefined;
    await kind.run({ step, ctx, index, client, timeoutMs, conn: conn as NonNullable<typeof conn>, runStep, runSteps });
  } catch (error) {
    if (error instanceof StepFailure && ctx.failedStep === undefined) {
      ctx.failedStep = describeStep(step, kind, index, client);
      ctx.failedStepHint = step.hint;
    }
    throw error;
  }
}
