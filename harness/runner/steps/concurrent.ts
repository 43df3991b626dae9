import type { Step } from '../../scenarios/format.ts';
import { concurrentStepSchema } from '../../scenarios/steps/concurrent.ts';
import { encodeJson, type JsonObject, type JsonValue } from '../../../spec/codec/index.ts';
import { ScenarioConnection } from '../connection.ts';
import { StepFailure } from '../step-failure.ts';
import { expand } from '../templates.ts';
import type { StepKind, StepRun } from './step-kind.ts';
import { check, login, schemaFor } from './support.ts';

/** Many clients at once, each on its own connection, each sending and checking its replies. */
export const concurrentStep: StepKind<'concurrent'> = {
  schema: concurrentStepSchema,
  describe: (step) => `${step.concurrent?.clients ?? 0} concurrent clients`,
  usesConnection: false,
  run: runConcurrent,
};

async function runConcurrent({ step, ctx, index, timeoutMs }: StepRun): Promise<void> {
  const spec = step.concurrent as NonNullable<Step['concurrent']>;
  const repeat = spec.repeat ?? 1;
  const names = Array.from({ length: spec.clients }, (_, i) => `${step.label ?? `c${index}`}#${i + 1}`);
  const conns: ScenarioConnection[] = [];
  try {
    // Connections open (and log in) one after another, so a small listen() backlog is no excuse,
    // and stay open: the server then holds all of them at once when they send together.
    const ready: ScenarioConnection[] = [];
    for (let i = 0; i < names.length; i += 1) {
      try {
        const conn = await ScenarioConnection.open(names[i] as string, ctx.host, ctx.port, timeoutMs, ctx.wire, ctx.progress);
        conns.push(conn);
        const user = spec.login?.[i % spec.login.length];
        if (user) await login(ctx, conn, user, ctx.password, timeoutMs);
        ready.push(conn);
      } catch (error) {
        if (!(error instanceof StepFailure)) throw error;
        throw new StepFailure(error.kind, `all ${spec.clients} clients connected at once`, `client ${i + 1} of ${spec.clients} (with ${i} open): ${error.actual}`, error.mismatches);
      }
    }
    const results = await Promise.allSettled(
      ready.map(async (conn, i) => {
        for (let j = 1; j <= repeat; j += 1) {
          const request = expand(spec.send, { clock: ctx.clock, i: i + 1, j }) as JsonObject;
          await conn.write([encodeJson(request as JsonValue)], 0, 'json', `the ${String(request.action)} request`);
          const reply = await conn.readJson(timeoutMs, `a reply to ${String(request.action)}`);
          check(reply, expand(spec.expect, { clock: ctx.clock, i: i + 1, j }), schemaFor(step, request), `the reply to ${String(request.action)}`);
        }
      }),
    );
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length) throw aggregate(failures.map((f) => f.reason), spec.clients, `get ${repeat === 1 ? 'a' : repeat} matching repl${repeat === 1 ? 'y' : 'ies'}`);
    ctx.log.push(`${index}: ${spec.clients} concurrent clients x ${repeat} request(s): all answered as expected`);
  } finally {
    for (const c of conns) c.destroy();
  }
}

function aggregate(reasons: unknown[], total: number, what: string): Error {
  const first = reasons[0];
  if (!(first instanceof StepFailure)) return first as Error;
  return new StepFailure(first.kind, `all ${total} clients to ${what}`, `${reasons.length} of ${total} did not; the first: ${first.actual}`, first.mismatches);
}
