// The syntax of expected values ("patterns"), checked when a scenario file loads so a bad matcher
// is reported with its position instead of failing a case at run time. Evaluation lives in
// harness/runner/matchers.ts.

export const MATCHER_NAMES = [
  '$type',
  '$regex',
  '$contains',
  '$length',
  '$absent',
  '$oneOf',
  '$eq',
  '$not',
  '$each',
  '$any',
  '$raw',
] as const;
export type MatcherName = (typeof MATCHER_NAMES)[number];

export const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'null', 'array', 'object'] as const;

export interface PatternProblem {
  path: (string | number)[];
  message: string;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An object is a matcher when any of its keys starts with "$"; then all of them must. */
export function isMatcher(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$'));
}

export function patternProblems(value: unknown, path: (string | number)[] = [], top = true): PatternProblem[] {
  const problems: PatternProblem[] = [];
  if (Array.isArray(value)) {
    value.forEach((v, i) => problems.push(...patternProblems(v, [...path, i], false)));
    return problems;
  }
  if (!isPlainObject(value)) return problems;
  if (top && '$raw' in value) {
    // $raw sits beside the reply's fields: it matches the reply's exact text, the rest its JSON.
    const { $raw, ...rest } = value;
    problems.push(...patternProblems($raw, [...path, '$raw'], false));
    return [...problems, ...patternProblems(rest, path, false)];
  }
  if (!isMatcher(value)) {
    for (const [k, v] of Object.entries(value)) problems.push(...patternProblems(v, [...path, k], false));
    return problems;
  }
  for (const [key, arg] of Object.entries(value)) {
    const at = [...path, key];
    const bad = (message: string) => problems.push({ path: at, message });
    if (!key.startsWith('$')) {
      bad(`"${key}" mixed with matchers; a matcher object holds only $-keys`);
      continue;
    }
    switch (key as MatcherName) {
      case '$type':
        if (!(JSON_TYPES as readonly unknown[]).includes(arg)) bad(`$type must be one of ${JSON_TYPES.join(', ')}`);
        break;
      case '$regex':
        if (typeof arg !== 'string') bad('$regex takes a string');
        else {
          try {
            new RegExp(arg, 'u');
          } catch (error) {
            bad(`$regex: ${(error as Error).message}`);
          }
        }
        break;
      case '$length': {
        const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0;
        if (ok(arg)) break;
        if (isPlainObject(arg) && Object.keys(arg).length > 0 && Object.keys(arg).every((k) => k === 'min' || k === 'max') && Object.values(arg).every(ok)) break;
        bad('$length takes a count or {min, max}');
        break;
      }
      case '$absent':
      case '$any':
        if (arg !== true) bad(`${key} takes true`);
        break;
      case '$oneOf':
        if (!Array.isArray(arg) || arg.length === 0) bad('$oneOf takes a non-empty list of patterns');
        else arg.forEach((v, i) => problems.push(...patternProblems(v, [...at, i], false)));
        break;
      case '$raw':
        bad('$raw is only allowed at the top of an expect');
        break;
      case '$contains':
      case '$not':
      case '$each':
        problems.push(...patternProblems(arg, at, false));
        break;
      case '$eq':
        break;
      default:
        bad(`unknown matcher "${key}"; allowed: ${MATCHER_NAMES.join(', ')}`);
    }
  }
  return problems;
}
