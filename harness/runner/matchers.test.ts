import { describe, expect, test } from 'vitest';
import { patternProblems } from '../scenarios/pattern.ts';
import { describePattern, match, splitRaw } from './matchers.ts';

// A corpus in the style of Pact's matcher self-tests: each row is a pattern, a value, whether it
// matches, and (when it does not) the JSON path the mismatch must name.
interface Row {
  name: string;
  pattern: unknown;
  actual: unknown;
  ok: boolean;
  path?: string;
}

const corpus: Row[] = [
  { name: 'equal scalars', pattern: 'success', actual: 'success', ok: true },
  { name: 'different scalars', pattern: 'success', actual: 'error', ok: false, path: '$' },
  { name: 'number vs numeric string', pattern: 1, actual: '1', ok: false, path: '$' },
  { name: 'null', pattern: null, actual: null, ok: true },
  { name: 'object subset', pattern: { status: 'success' }, actual: { status: 'success', message: 'x' }, ok: true },
  { name: 'missing key', pattern: { message: 'x' }, actual: { status: 'success' }, ok: false, path: '$.message' },
  { name: 'nested mismatch', pattern: { user_data: { friends: ['user2'] } }, actual: { user_data: { friends: ['user3'] } }, ok: false, path: '$.user_data.friends[0]' },
  { name: 'array length differs', pattern: [1, 2], actual: [1, 2, 3], ok: false, path: '$' },
  { name: 'array in order', pattern: [{ m: 'a' }, { m: 'b' }], actual: [{ m: 'a', x: 1 }, { m: 'b' }], ok: true },
  { name: 'array out of order', pattern: [{ m: 'a' }, { m: 'b' }], actual: [{ m: 'b' }, { m: 'a' }], ok: false, path: '$[0].m' },
  { name: 'object vs array', pattern: { a: 1 }, actual: [1], ok: false, path: '$' },
  { name: '$type string', pattern: { $type: 'string' }, actual: 'x', ok: true },
  { name: '$type integer rejects 1.5', pattern: { $type: 'integer' }, actual: 1.5, ok: false, path: '$' },
  { name: '$type number accepts integers', pattern: { $type: 'number' }, actual: 3, ok: true },
  { name: '$type array', pattern: { $type: 'array' }, actual: {}, ok: false, path: '$' },
  { name: '$type object rejects null', pattern: { $type: 'object' }, actual: null, ok: false, path: '$' },
  { name: '$regex', pattern: { $regex: '^data/images/' }, actual: 'data/images/a.jpg', ok: true },
  { name: '$regex on a non-string', pattern: { $regex: '1' }, actual: 1, ok: false, path: '$' },
  { name: '$regex is unicode-aware', pattern: { $regex: '^.{2}$' }, actual: '👋🏽', ok: true },
  { name: '$contains substring', pattern: { $contains: 'sent' }, actual: 'Friend request sent', ok: true },
  { name: '$contains element subset', pattern: { $contains: { username: 'user1' } }, actual: [{ username: 'user2' }, { username: 'user1', caption: '' }], ok: true },
  { name: '$contains missing element', pattern: { $contains: 'user9' }, actual: ['user1'], ok: false, path: '$' },
  { name: '$length exact', pattern: { $length: 3 }, actual: [1, 2, 3], ok: true },
  { name: '$length of a string counts UTF-16 units', pattern: { $length: 2 }, actual: 'ab', ok: true },
  { name: '$length range', pattern: { $length: { min: 1, max: 2 } }, actual: [], ok: false, path: '$.messages' },
  { name: '$absent holds when missing', pattern: { password: { $absent: true } }, actual: { friends: [] }, ok: true },
  { name: '$absent fails when present', pattern: { password: { $absent: true } }, actual: { password: '123' }, ok: false, path: '$.password' },
  { name: '$any requires presence', pattern: { image_path: { $any: true } }, actual: {}, ok: false, path: '$.image_path' },
  { name: '$oneOf', pattern: { $oneOf: ['success', 'error'] }, actual: 'error', ok: true },
  { name: '$oneOf with patterns', pattern: { $oneOf: [{ $type: 'number' }, { $regex: '^\\d+$' }] }, actual: 'x1', ok: false, path: '$' },
  { name: '$eq is exact, not subset', pattern: { $eq: { status: 'success' } }, actual: { status: 'success', extra: 1 }, ok: false, path: '$' },
  { name: '$not', pattern: { $not: { $contains: 'user1' } }, actual: ['user2'], ok: true },
  { name: '$not fails', pattern: { $not: 'x' }, actual: 'x', ok: false, path: '$' },
  { name: '$each', pattern: { $each: { is_image: false } }, actual: [{ is_image: false }, { is_image: true }], ok: false, path: '$[1].is_image' },
  { name: 'matchers combine with and', pattern: { $type: 'string', $regex: '^a' }, actual: 'ba', ok: false, path: '$' },
  { name: 'non-ASCII equality', pattern: 'مرحبا 👋', actual: 'مرحبا 👋', ok: true },
  { name: 'lost character is a mismatch', pattern: 'سلام', actual: 'سام', ok: false, path: '$' },
];

describe('matchers corpus', () => {
  test.each(corpus)('$name', ({ pattern, actual, ok, path }) => {
    const wrapped = path === '$.messages' ? { messages: pattern } : pattern;
    const value = path === '$.messages' ? { messages: actual } : actual;
    expect(patternProblems(wrapped)).toEqual([]);
    const mismatches = match(wrapped, value);
    expect(mismatches.length === 0).toBe(ok);
    if (!ok) expect(mismatches[0]?.path).toBe(path);
  });

  test('mismatches say what was expected in words', () => {
    const [m] = match({ messages: { $length: 200 } }, { messages: [1, 2] });
    expect(m).toEqual({ path: '$.messages', expected: 'length 200', actual: 'length 2' });
    expect(describePattern({ status: 'error', message: { $regex: 'Invalid' } })).toBe('{"status": "error", "message": text matching /Invalid/, ...}');
  });

  test('$raw matches the exact reply text beside the JSON fields', () => {
    expect(splitRaw({ $raw: { $regex: '^\\{"status": ' }, status: 'success' })).toEqual({ raw: { $regex: '^\\{"status": ' }, json: { status: 'success' } });
    expect(patternProblems({ a: { $raw: 'x' } })[0]?.message).toMatch(/only allowed at the top/);
  });

  test('malformed matchers are refused when a scenario loads', () => {
    expect(patternProblems({ $type: 'str' })[0]?.message).toMatch(/\$type must be one of/);
    expect(patternProblems({ $length: -1 })[0]?.message).toMatch(/\$length takes/);
    expect(patternProblems({ $oneOf: [] })[0]?.message).toMatch(/non-empty/);
    expect(patternProblems({ $absent: false })[0]?.message).toMatch(/takes true/);
    expect(patternProblems({ $type: 'string', name: 'x' })[0]?.message).toMatch(/mixed with matchers/);
    expect(patternProblems({ a: [{ $bogus: 1 }] })[0]).toMatchObject({ path: ['a', 0, '$bogus'] });
  });
});
