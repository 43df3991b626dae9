import { isDeepStrictEqual } from 'node:util';
import { isMatcher } from '../scenarios/pattern.ts';

// Pact-style matching of a reply against an expected pattern. Plain objects match as subsets (a
// reply may carry more keys), arrays element by element with equal length, scalars by equality;
// $-objects are matchers. Every mismatch names the JSON path, so a report can say exactly where.

export interface Mismatch {
  path: string;
  expected: string;
  actual: string;
}

const show = (v: unknown): string => (v === undefined ? '(absent)' : JSON.stringify(v) ?? String(v));

const typeOf = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
};

function hasType(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

const child = (path: string, key: string | number) =>
  typeof key === 'number' ? `${path}[${key}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;

/** Renders a pattern the way a person reads it in "expected" columns. */
export function describePattern(pattern: unknown): string {
  if (!isMatcher(pattern)) {
    if (Array.isArray(pattern)) return `[${pattern.map(describePattern).join(', ')}]`;
    if (typeof pattern === 'object' && pattern !== null) {
      return `{${Object.entries(pattern).map(([k, v]) => `${JSON.stringify(k)}: ${describePattern(v)}`).join(', ')}, ...}`;
    }
    return show(pattern);
  }
  return Object.entries(pattern)
    .map(([k, v]) => {
      switch (k) {
        case '$type': return `any ${String(v)}`;
        case '$regex': return `text matching /${String(v)}/`;
        case '$contains': return `containing ${describePattern(v)}`;
        case '$length': return typeof v === 'number' ? `length ${v}` : `length ${JSON.stringify(v)}`;
        case '$absent': return 'absent';
        case '$any': return 'present';
        case '$oneOf': return `one of ${(v as unknown[]).map(describePattern).join(' | ')}`;
        case '$eq': return `exactly ${show(v)}`;
        case '$not': return `not ${describePattern(v)}`;
        case '$each': return `every element ${describePattern(v)}`;
        default: return `${k} ${show(v)}`;
      }
    })
    .join(' and ');
}

export function match(pattern: unknown, actual: unknown, path = '$'): Mismatch[] {
  if (isMatcher(pattern)) return matchMatchers(pattern, actual, path);
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual)) return [{ path, expected: `an array of ${pattern.length}`, actual: show(actual) }];
    if (actual.length !== pattern.length) {
      return [{ path, expected: `${pattern.length} element(s): ${describePattern(pattern)}`, actual: `${actual.length} element(s): ${clip(show(actual))}` }];
    }
    return pattern.flatMap((p, i) => match(p, actual[i], child(path, i)));
  }
  if (typeof pattern === 'object' && pattern !== null) {
    if (typeOf(actual) !== 'object') return [{ path, expected: describePattern(pattern), actual: clip(show(actual)) }];
    const obj = actual as Record<string, unknown>;
    return Object.entries(pattern).flatMap(([k, p]) => {
      const has = Object.prototype.hasOwnProperty.call(obj, k);
      if (!has && !(isMatcher(p) && (p.$absent === true))) {
        return [{ path: child(path, k), expected: describePattern(p), actual: '(absent)' }];
      }
      return match(p, has ? obj[k] : undefined, child(path, k));
    });
  }
  return isDeepStrictEqual(pattern, actual) ? [] : [{ path, expected: show(pattern), actual: clip(show(actual)) }];
}

function matchMatchers(m: Record<string, unknown>, actual: unknown, path: string): Mismatch[] {
  const out: Mismatch[] = [];
  const fail = (expected: string) => out.push({ path, expected, actual: clip(show(actual)) });
  for (const [k, arg] of Object.entries(m)) {
    switch (k) {
      case '$absent':
        if (actual !== undefined) fail('absent');
        break;
      case '$any':
        if (actual === undefined) fail('present');
        break;
      case '$type':
        if (!hasType(actual, String(arg))) fail(`any ${String(arg)}`);
        break;
      case '$regex':
        if (typeof actual !== 'string' || !new RegExp(String(arg), 'u').test(actual)) fail(`text matching /${String(arg)}/`);
        break;
      case '$eq':
        if (!isDeepStrictEqual(arg, actual)) fail(`exactly ${show(arg)}`);
        break;
      case '$length': {
        const n = typeof actual === 'string' || Array.isArray(actual) ? actual.length : undefined;
        const { min, max } = typeof arg === 'number' ? { min: arg, max: arg } : (arg as { min?: number; max?: number });
        if (n === undefined || (min !== undefined && n < min) || (max !== undefined && n > max)) {
          out.push({ path, expected: describePattern({ $length: arg }), actual: n === undefined ? clip(show(actual)) : `length ${n}` });
        }
        break;
      }
      case '$contains':
        if (typeof actual === 'string' && typeof arg === 'string') {
          if (!actual.includes(arg)) fail(`text containing ${show(arg)}`);
        } else if (Array.isArray(actual)) {
          if (!actual.some((el) => match(arg, el, path).length === 0)) fail(`an element matching ${describePattern(arg)}`);
        } else fail(`containing ${describePattern(arg)}`);
        break;
      case '$each':
        if (!Array.isArray(actual)) fail(`an array, every element ${describePattern(arg)}`);
        else actual.forEach((el, i) => out.push(...match(arg, el, child(path, i))));
        break;
      case '$oneOf':
        if (!(arg as unknown[]).some((p) => match(p, actual, path).length === 0)) fail(describePattern({ $oneOf: arg }));
        break;
      case '$not':
        if (match(arg, actual, path).length === 0) fail(`not ${describePattern(arg)}`);
        break;
      default:
        // The loader rejects unknown matchers; reaching here means a pattern skipped the loader.
        fail(`a known matcher (got ${k})`);
    }
  }
  return out;
}

function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/** Splits a top-level expect into its $raw part (the reply's exact text) and its JSON part. */
export function splitRaw(pattern: unknown): { raw: unknown; json: unknown } {
  if (typeof pattern === 'object' && pattern !== null && !Array.isArray(pattern) && '$raw' in pattern) {
    const { $raw, ...json } = pattern as Record<string, unknown>;
    return { raw: $raw, json };
  }
  return { raw: undefined, json: pattern };
}
