import { encodeJson, type JsonObject, type JsonValue } from '../../../spec/codec/index.ts';
import { sendStepSchema } from '../../scenarios/steps/send.ts';
import { describePattern } from '../matchers.ts';
import { shapePieces } from '../shaping.ts';
import { expand } from '../templates.ts';
import type { StepKind, StepRun } from './step-kind.ts';
import { check, schemaFor, summary } from './support.ts';
import { verifyImageExchange } from './verify-image-exchange.ts';

/** A request (encoded and shaped as the step says), its image exchange if it carries one, its reply. */
export const sendStep: StepKind<'send'> = {
  schema: sendStepSchema,
  describe: (step) => `${String(step.send?.action ?? 'request')}${step.image ? ' + image' : ''}`,
  usesConnection: true,
  run: runSend,
};

async function runSend({ step, ctx, conn, index, client, timeoutMs }: StepRun): Promise<void> {
  const request = expand(step.send as Record<string, unknown>, { clock: ctx.clock }) as JsonObject;
  const expected = step.expect === undefined ? undefined : expand(step.expect, { clock: ctx.clock });
  const bytes = encodeJson(request as JsonValue, step.encoding);
  const { pieces, delayMs } = shapePieces(bytes, step.shape);
  const what = `${String(request.action ?? 'request')}`;
  await conn.write(pieces, delayMs, pieces.length === 1 && pieces[0]?.length === bytes.length ? 'json' : 'raw', `the ${what} request`);
  ctx.log.push(`${index}: ${client} sent ${what}${pieces.length > 1 ? ` in ${pieces.length} writes` : ''}`);
  if (step.shape?.stopAfter !== undefined && expected === undefined) return;
  const schema = schemaFor(step, request);

  if (step.image) {
    const outcome = await verifyImageExchange({ src: step.image, ctx, conn, index, client, timeoutMs, expected, schema, what });
    if (outcome === 'done') return;
  }

  const reply = await conn.readJson(timeoutMs, `a reply to ${what}${expected !== undefined ? `: ${describePattern(expected)}` : ''}`);
  check(reply, expected, schema, `the reply to ${what}`);
  ctx.log.push(`${index}: ${client} got ${summary(reply.value)}`);
}

