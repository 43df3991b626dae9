import { isSafePathComponent } from '../../../spec/messages/index.ts';
import { unsafeName } from '../replies.ts';

/**
 * SEC-1, in both modes: every request field that becomes part of a file name is checked before any
 * file is touched. Returns the refusal text for the first unsafe field, or undefined.
 */
export function checkPathFields(fields: Record<string, string>): string | undefined {
  for (const [field, value] of Object.entries(fields)) {
    if (!isSafePathComponent(value)) return unsafeName(field);
  }
  return undefined;
}
