import { ReplyEnvelope } from '../../../spec/messages/index.ts';
import { rawStepSchema } from '../../scenarios/steps/raw.ts';
import { SETTLE_MAX_MS, type ScenarioConnection } from '../connection.ts';
import { describePattern } from '../matchers.ts';
import { shapePieces } from '../shaping.ts';
import { StepFailure } from '../step-failure.ts';
import { expand } from '../templates.ts';
import type { StepKind, StepRun } from './step-kind.ts';
import { check } from './support.ts';

/** Bytes written as they are (text, hex or base64), optionally shaped, optionally with a reply to check. */
export const rawStep: StepKind<'raw'> = {
  schema: rawStepSchema,
  describe: () => 'raw bytes',
  usesConnection: true,
  run: runRaw,
};

async function runRaw({ step, ctx, index, client, conn, timeoutMs }: StepRun): Promise<void> {
  const raw = step.raw as NonNullable<typeof step.raw>;
  const bytes = raw.text !== undefined
    ? Buffer.from(expand(raw.text, { clock: ctx.clock }), 'utf8')
    : raw.hex !== undefined ? Buffer.from(raw.hex.replace(/\s+/g, ''), 'hex')
    : Buffer.from(raw.base64 ?? '', 'base64');
  const { pieces, delayMs } = shapePieces(bytes, step.shape);
  // A server that stops reading (LIM-1 against a server without limits) must cost one timeout, not
  // hang the case. The pauses a shaped write makes on purpose, and its waits for the server to settle
  // between pieces (on a busy machine, up to SETTLE_MAX_MS of the server's own time each), are not the
  // server's time; the reply then gets the step's whole timeout, in own time.
  const budget = timeoutMs + Math.max(0, pieces.length - 1) * (delayMs + SETTLE_MAX_MS * 10);
  let writeFailure: StepFailure | undefined;
  try {
    await conn.writeWithin(pieces, delayMs, 'raw', 'raw bytes', budget);
    ctx.log.push(`${index}: ${client} sent ${bytes.length} raw byte(s) in ${pieces.length} write(s)`);
  } catch (error) {
    // A server that answers and closes before taking every byte (an oversize request) has
    // done its part; its reply, if the step expects one, decides.
    if (!(error instanceof StepFailure && error.kind === 'closed' && step.expect !== undefined)) throw error;
    writeFailure = error;
    ctx.log.push(`${index}: ${client}: the server closed the connection before taking all ${bytes.length} raw byte(s)`);
  }
  if (step.expect !== undefined) {
    const expected = expand(step.expect, { clock: ctx.clock });
    let reply: Awaited<ReturnType<ScenarioConnection['readJson']>>;
    try {
      reply = await conn.readJson(timeoutMs, `a reply to the raw bytes: ${describePattern(expected)}`);
    } catch (error) {
      throw writeFailure ?? error;
    }
    check(reply, expected, step.schema === false ? undefined : ReplyEnvelope, 'the reply');
  }
}
