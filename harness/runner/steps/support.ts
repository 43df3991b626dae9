import type { ZodTypeAny } from 'zod';
import { encodeJson, type JsonObject } from '../../../spec/codec/index.ts';
import { isAction, REPLY_TEXT, ReplyEnvelope, replySchema } from '../../../spec/messages/index.ts';
import type { Step } from '../../scenarios/format.ts';
import { ScenarioConnection } from '../connection.ts';
import { describePattern, match, splitRaw } from '../matchers.ts';
import { StepFailure } from '../step-failure.ts';
import type { StepContext } from '../step-context.ts';

// What the step kinds share: the connection a client name stands for (logged in on first use),
// comparing a reply with its expectation and the protocol schema, and deadlines.

export const summary = (value: unknown) => {
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
};

export async function connection(ctx: StepContext, name: string, timeoutMs: number): Promise<ScenarioConnection> {
  const existing = ctx.conns.get(name);
  if (existing) return existing;
  const conn = await ScenarioConnection.open(name, ctx.host, ctx.port, timeoutMs, ctx.wire, ctx.progress);
  ctx.conns.set(name, conn);
  const user = ctx.scenario.clients[name]?.login;
  if (user) await login(ctx, conn, user, ctx.scenario.clients[name]?.password ?? ctx.password, timeoutMs);
  return conn;
}

export async function login(ctx: StepContext, conn: ScenarioConnection, user: string, password: string, timeoutMs: number): Promise<void> {
  const request = { action: 'login', username: user, password };
  await conn.write([encodeJson(request)], 0, 'json', 'the login request');
  const reply = await conn.readJson(timeoutMs, `a reply to login as ${user}`);
  const mismatches = match({ status: 'success', message: REPLY_TEXT.loginOk }, reply.value);
  if (mismatches.length) {
    throw new StepFailure('mismatch', `login as ${user} to succeed: {"status": "success", "message": "Login successful"}`, summary(reply.value), mismatches);
  }
  ctx.log.push(`${conn.name}: logged in as ${user}`);
}

/** Compares a reply with the expectation and (optionally) the protocol schema. */
export function check(reply: { value: JsonObject; raw: Buffer }, expected: unknown, schema: ZodTypeAny | undefined, what: string): void {
  if (expected !== undefined) {
    const { raw, json } = splitRaw(expected);
    const text = reply.raw.toString('utf8');
    const jsonMismatches = match(json, reply.value);
    const rawMismatches = raw !== undefined ? match(raw, text, '$raw') : [];
    if (jsonMismatches.length || rawMismatches.length) {
      const described = raw !== undefined ? `${describePattern(json)} written as ${describePattern(raw)}` : describePattern(json);
      // When only the bytes differ, show the bytes: the parsed value would look identical.
      const actual = jsonMismatches.length ? summary(reply.value) : `the bytes ${JSON.stringify(text)}`;
      throw new StepFailure('mismatch', `${what}: ${described}`, actual, [...jsonMismatches, ...rawMismatches]);
    }
  }
  if (schema) {
    const parsed = schema.safeParse(reply.value);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5);
      throw new StepFailure(
        'schema',
        `${what} to fit the protocol's reply schema (ERR-3)`,
        summary(reply.value),
        issues.map((i) => ({ path: `$${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`, expected: i.message, actual: 'see reply' })),
      );
    }
  }
}

export function schemaFor(step: Step, request: Record<string, unknown> | undefined): ZodTypeAny | undefined {
  if (step.schema === false) return undefined;
  const action = request?.action;
  return isAction(action) ? (replySchema(action) as ZodTypeAny) : ReplyEnvelope;
}

