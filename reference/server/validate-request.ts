import type { ZodError } from 'zod';
import type { JsonObject } from '../../spec/codec/index.ts';
import { REPLY_TEXT, REQUEST_SCHEMAS, isAction, type AnyRequest } from '../../spec/messages/index.ts';

export type Validation = { ok: true; request: AnyRequest } | { ok: false; message: string };

/**
 * ERR-1 and ERR-2: an unknown or missing action is "Invalid action"; a known action with missing
 * fields or wrong types is "Invalid request: <what>", and the connection stays usable.
 */
export function validateRequest(value: JsonObject): Validation {
  const action = value['action'];
  if (!isAction(action)) return { ok: false, message: REPLY_TEXT.invalidAction };
  const parsed = REQUEST_SCHEMAS[action].safeParse(value);
  if (parsed.success) return { ok: true, request: parsed.data as AnyRequest };
  return { ok: false, message: `${REPLY_TEXT.invalidRequest}: ${describeIssues(parsed.error)}` };
}

function describeIssues(error: ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const field = issue.path.join('.') || 'request';
      const missing = issue.code === 'invalid_type' && issue.received === 'undefined';
      return missing ? `missing field '${field}'` : `field '${field}': ${issue.message}`;
    })
    .join('; ');
}
