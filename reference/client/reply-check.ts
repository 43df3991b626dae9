import type { ZodError } from 'zod';
import type { Action } from '../../spec/messages/index.ts';
import { ErrorReply, REPLY_REQUIREMENT, SUCCESS_REPLY_SCHEMAS } from '../../spec/messages/index.ts';
import type { JsonObject } from '../../spec/codec/index.ts';
import { ProtocolError, ErrorReplyError } from './errors.ts';

// Checking a final reply against the action's schema. Strict mode turns any mismatch into a
// ProtocolError; lenient mode keeps going and reports the mismatches as warnings, so a TA can still
// use a server that, say, adds a key of its own.

export type Validation = 'strict' | 'lenient';

export function formatIssues(error: ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(reply)'}: ${issue.message}`);
}

export interface Received {
  value: JsonObject;
  raw: Buffer;
}

/**
 * Returns the success reply with the mismatches found (none in strict mode); throws ErrorReplyError for
 * {"status": "error"} and, in strict mode, ProtocolError for anything off-schema.
 */
export function checkReply(action: Action, received: Received, validation: Validation): { reply: JsonObject; warnings: string[] } {
  const { value, raw } = received;
  if (value.status === 'error') {
    const parsed = ErrorReply.safeParse(value);
    if (!parsed.success && validation === 'strict') {
      throw new ProtocolError(
        `${action}: malformed error reply: ${formatIssues(parsed.error).join('; ')}`,
        raw,
        formatIssues(parsed.error),
        true,
        ['ERR-3'],
      );
    }
    const message = typeof value.message === 'string' ? value.message : '(the error reply has no message)';
    throw new ErrorReplyError(action, message, value, raw);
  }
  const parsed = SUCCESS_REPLY_SCHEMAS[action].safeParse(value);
  if (parsed.success) return { reply: value, warnings: [] };
  const issues = formatIssues(parsed.error);
  // A success reply of the wrong shape breaks the action's requirement; a reply that is neither
  // success nor error also breaks the envelope (ERR-3).
  const requirements = value.status === 'success' ? [REPLY_REQUIREMENT[action]] : ['ERR-3', REPLY_REQUIREMENT[action]];
  if (validation === 'strict') {
    throw new ProtocolError(`${action}: unexpected reply: ${issues.join('; ')}`, raw, issues, true, requirements);
  }
  return { reply: value, warnings: issues.map((issue) => `${action} reply ${issue} (${requirements.join(', ')})`) };
}
