import type { Step } from '../../scenarios/format.ts';
import { eventuallyStepSchema } from '../../scenarios/steps/eventually.ts';
import { encodeJson, type JsonObject, type JsonValue } from '../../../spec/codec/index.ts';
import { sleep } from '../connection.ts';
import { StepFailure } from '../step-failure.ts';
import { expand } from '../templates.ts';
import type { StepKind, StepRun } from './step-kind.ts';
import { check, schemaFor } from './support.ts';

/** The same request, again and again, until its reply matches (a state that settles over time). */
export const eventuallyStep: StepKind<'eventually'> = {
  schema: eventuallyStepSchema,
  describe: (step) => `eventually ${String(step.eventually?.send.action ?? '')}`,
  usesConnection: true,
  run: runEventually,
};

async function runEventually({ step, ctx, conn, index, timeoutMs }: StepRun): Promise<void> {
  const spec = step.eventually as NonNullable<Step['eventually']>;
  const attempts = spec.attempts ?? 10;
  const interval = spec.intervalMs ?? 100;
  let last: StepFailure | undefined;
  for (let n = 1; n <= attempts; n += 1) {
    const request = expand(spec.send, { clock: ctx.clock }) as JsonObject;
    await conn.write([encodeJson(request as JsonValue)], 0, 'json', `the ${String(request.action)} request`);
    const reply = await conn.readJson(timeoutMs, `a reply to ${String(request.action)}`);
    try {
      check(reply, expand(spec.expect, { clock: ctx.clock }), schemaFor(step, request), `the reply to ${String(request.action)}`);
      ctx.log.push(`${index}: matched on attempt ${n} of ${attempts}`);
      return;
    } catch (error) {
      if (!(error instanceof StepFailure)) throw error;
      last = error;
    }
    if (n < attempts) await sleep(interval);
  }
  const failure = last as StepFailure;
  throw new StepFailure(failure.kind, `${failure.expected} (within ${attempts} attempts, ${interval} ms apart)`, failure.actual, failure.mismatches);
}

