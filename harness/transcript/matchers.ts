import { DM_TIMESTAMP_PATTERN, POST_TIMESTAMP_PATTERN } from '../../spec/messages/index.ts';

// Pact-style matching rules for JSON fields that legitimately differ between two runs of the same
// conversation: the client stamps requests with the time, file names are made from those stamps,
// and image_data depends on the bytes a replay could send. A rule is keyed by field name wherever
// the field appears; everything else must be equal.

export interface FieldMatcher {
  /** Field names the rule applies to. */
  keys: readonly string[];
  description: string;
  /** Whether `actual` is an acceptable stand-in for `expected`. */
  matches(expected: unknown, actual: unknown): boolean;
}

const TIMESTAMP_IN_NAME = /\d{4}-\d{2}-\d{2}[ T_]\d{2}[-:]\d{2}[-:]\d{2}(\.\d{1,6})?([+-]\d{2}[-:]\d{2})?/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isTimestamp(value: unknown): boolean {
  return typeof value === 'string' && (POST_TIMESTAMP_PATTERN.test(value) || DM_TIMESTAMP_PATTERN.test(value));
}

export const DEFAULT_MATCHERS: readonly FieldMatcher[] = [
  {
    keys: ['timestamp'],
    description: 'a timestamp of the same format (post or DM)',
    matches: (expected, actual) =>
      expected === actual ||
      (isTimestamp(expected) &&
        isTimestamp(actual) &&
        POST_TIMESTAMP_PATTERN.test(expected as string) === POST_TIMESTAMP_PATTERN.test(actual as string)),
  },
  {
    keys: ['image_path', 'post_image_path'],
    description: 'the same path once the timestamp in the file name is ignored',
    matches: (expected, actual) =>
      expected === actual ||
      (typeof expected === 'string' &&
        typeof actual === 'string' &&
        expected.replace(TIMESTAMP_IN_NAME, '<time>') === actual.replace(TIMESTAMP_IN_NAME, '<time>')),
  },
  {
    keys: ['image_data'],
    description: 'base64 image bytes (a replay may send stand-in bytes for an image it did not store)',
    matches: (expected, actual) =>
      expected === actual ||
      (typeof expected === 'string' && typeof actual === 'string' && BASE64.test(expected) && BASE64.test(actual)),
  },
];

export interface JsonMatch {
  ok: boolean;
  /** Paths (a.b[0].c) where the values differ beyond what a matcher allows. */
  mismatches: string[];
  /**
   * `actual` with every matcher-accepted value replaced by the expected one, so a textual diff of
   * `expected` and `normalized` shows only the real differences.
   */
  normalized: unknown;
}

/** Deep comparison ignoring key order (JSON objects are unordered), with field matchers. */
export function matchJson(
  expected: unknown,
  actual: unknown,
  matchers: readonly FieldMatcher[] = DEFAULT_MATCHERS,
): JsonMatch {
  const mismatches: string[] = [];
  const byKey = new Map<string, FieldMatcher>();
  for (const m of matchers) for (const key of m.keys) byKey.set(key, m);

  const walk = (e: unknown, a: unknown, path: string, key: string | undefined): unknown => {
    const matcher = key === undefined ? undefined : byKey.get(key);
    if (matcher && matcher.matches(e, a)) return e;
    if (Array.isArray(e) && Array.isArray(a)) {
      if (e.length !== a.length) mismatches.push(`${path || '$'} (length ${e.length} vs ${a.length})`);
      return a.map((item, i) => (i < e.length ? walk(e[i], item, `${path}[${i}]`, key) : item));
    }
    if (isPlainObject(e) && isPlainObject(a)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(a)) {
        const sub = path ? `${path}.${k}` : k;
        if (!(k in e)) {
          mismatches.push(`${sub} (unexpected)`);
          out[k] = a[k];
        } else {
          out[k] = walk(e[k], a[k], sub, k);
        }
      }
      for (const k of Object.keys(e)) if (!(k in a)) mismatches.push(`${path ? `${path}.${k}` : k} (missing)`);
      return out;
    }
    if (!Object.is(e, a)) mismatches.push(path || '$');
    return a;
  };

  const normalized = walk(expected, actual, '', undefined);
  return { ok: mismatches.length === 0, mismatches, normalized };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
