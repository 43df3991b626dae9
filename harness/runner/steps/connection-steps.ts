import { closeStepSchema, connectStepSchema, expectClosedStepSchema, expectNoReplyStepSchema, halfCloseStepSchema } from '../../scenarios/steps/connection-steps.ts';
import { StepFailure } from '../step-failure.ts';
import { sleep } from '../connection.ts';
import type { StepKind } from './step-kind.ts';

// The kinds that only open, close or watch the client's connection.

export const connectStep: StepKind<'connect'> = {
  schema: connectStepSchema,
  describe: () => 'connect',
  usesConnection: true,
  run: async () => undefined,
};

export const closeStep: StepKind<'close'> = {
  schema: closeStepSchema,
  describe: () => 'close',
  usesConnection: true,
  async run({ ctx, client, conn }) {
    conn.destroy();
    ctx.conns.delete(client);
  },
};

export const halfCloseStep: StepKind<'halfClose'> = {
  schema: halfCloseStepSchema,
  describe: () => 'halfClose',
  usesConnection: true,
  async run({ conn }) {
    conn.halfClose();
  },
};

export const expectClosedStep: StepKind<'expectClosed'> = {
  schema: expectClosedStepSchema,
  describe: () => 'expect closed',
  usesConnection: true,
  async run({ ctx, index, client, conn, timeoutMs }) {
    // Replies sent before the close are fine (an error reply, then close); what counts is the close.
    await conn.expectClosed(timeoutMs);
    ctx.log.push(`${index}: ${client} closed by the server, as expected`);
  },
};

export const expectNoReplyStep: StepKind<'expectNoReply'> = {
  schema: expectNoReplyStepSchema,
  describe: () => 'expect no reply',
  usesConnection: true,
  async run({ step, conn }) {
    const quietMs = step.expectNoReply ?? 0;
    const before = conn.bytesIn;
    await sleep(quietMs);
    if (conn.bytesIn !== before) throw new StepFailure('mismatch', `no reply for ${quietMs} ms`, `${conn.bytesIn - before} byte(s) arrived`);
  },
};
