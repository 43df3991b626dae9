import { ReplyEnvelope } from '../../../spec/messages/index.ts';
import { expectStepSchema } from '../../scenarios/steps/expect.ts';
import { describePattern } from '../matchers.ts';
import { expand } from '../templates.ts';
import type { StepKind } from './step-kind.ts';
import { check, summary } from './support.ts';

/** The next reply on the client's connection, checked (after requests sent by earlier steps). */
export const expectStep: StepKind<'expect'> = {
  schema: expectStepSchema,
  describe: () => 'next reply',
  usesConnection: true,
  async run({ step, ctx, index, client, conn, timeoutMs }) {
    const expected = expand(step.expect, { clock: ctx.clock });
    const reply = await conn.readJson(timeoutMs, `a reply: ${describePattern(expected)}`);
    check(reply, expected, step.schema === false ? undefined : ReplyEnvelope, 'the reply');
    ctx.log.push(`${index}: ${client} got ${summary(reply.value)}`);
  },
};
