import type { JsonValue } from './types.ts';

export interface EncodeOptions {
  /** 'python' (default): json.dumps separators ", " and ": ". 'compact': "," and ":". */
  style?: 'python' | 'compact';
  /** Python's ensure_ascii (default true): non-ASCII as \uXXXX with surrogate pairs. false: raw UTF-8. */
  ascii?: boolean;
  /** Python's indent=N: newline + N spaces per level, item separator "," (no trailing space). */
  indent?: number;
}

/** Thrown for values Python's json.dumps would refuse too (undefined, functions, cycles, bigint...). */
export class JsonEncodeError extends TypeError {
  readonly code = 'INSTANET_ERR_JSON_ENCODE';
}

const HEX = '0123456789abcdef';
const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x08: '\\b',
  0x0c: '\\f',
};
// What Python escapes: ensure_ascii escapes everything outside ' '..'~' plus '"' and '\'; raw mode
// only control characters, '"' and '\'. Lone surrogates are escaped in raw mode too, because UTF-8
// cannot carry them and silently replacing them would lose data.
const NEEDS_ESCAPE_ASCII = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;
const NEEDS_ESCAPE_RAW = /[\x00-\x1f"\\]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function unicodeEscape(unit: number): string {
  return `\\u${HEX[(unit >> 12) & 15]}${HEX[(unit >> 8) & 15]}${HEX[(unit >> 4) & 15]}${HEX[unit & 15]}`;
}

export function pythonString(s: string, ascii = true): string {
  if (!(ascii ? NEEDS_ESCAPE_ASCII : NEEDS_ESCAPE_RAW).test(s)) return `"${s}"`;
  let out = '"';
  let runStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let escape: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c) escape = SHORT_ESCAPES[c] ?? unicodeEscape(c);
    else if (ascii) {
      if (c > 0x7e) escape = unicodeEscape(c);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const paired =
        c <= 0xdbff
          ? i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00
          : i > 0 && (s.charCodeAt(i - 1) & 0xfc00) === 0xd800;
      if (!paired) escape = unicodeEscape(c);
    }
    if (escape !== undefined) {
      out += s.slice(runStart, i) + escape;
      runStart = i + 1;
    }
  }
  return `${out}${s.slice(runStart)}"`;
}

/**
 * A number as Python prints it. JavaScript cannot tell 1 from 1.0, so a safe integer prints as a Python
 * int. Anything else, including integral values beyond 2**53 (which are only doubles here, their exact
 * digits already lost), follows Python's float repr: the same shortest round-trip digits as JavaScript,
 * but an exponent (e+16, e-05) outside 1e-4 <= |x| < 1e16, and a ".0" on integral values.
 */
export function pythonNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Number.isSafeInteger(x)) return String(x);
  const [mantissa = '', expText = '0'] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  // In this range JavaScript's own formatting is plain decimal with Python's digits.
  const fixed = String(x);
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}

interface Layout {
  item: string;
  key: string;
  ascii: boolean;
  indent: string | undefined;
}

/** Python's json.dumps, byte for byte (see pythonNumber for the one unavoidable difference). */
export function pythonJsonDumps(value: JsonValue, options: EncodeOptions = {}): string {
  const compact = options.style === 'compact';
  const indent = options.indent;
  if (indent !== undefined && (!Number.isInteger(indent) || indent < 0)) {
    throw new RangeError(`indent must be a non-negative integer, got ${indent}`);
  }
  const layout: Layout = {
    // Python switches the default item separator to ',' when indent is set (no trailing space).
    item: compact || indent !== undefined ? ',' : ', ',
    key: compact ? ':' : ': ',
    ascii: options.ascii ?? true,
    indent: indent === undefined ? undefined : ' '.repeat(indent),
  };
  return encodeValue(value, layout, '', new Set());
}

function encodeValue(value: unknown, layout: Layout, pad: string, active: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return pythonString(value, layout.ascii);
    case 'number':
      return pythonNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw new JsonEncodeError(`Object of type ${typeof value} is not JSON serializable`);
  }
  if (value === null) return 'null';
  if (active.has(value)) throw new JsonEncodeError('Circular reference detected');
  const isArray = Array.isArray(value);
  if (!isArray && Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
    throw new JsonEncodeError(`Object of type ${value.constructor?.name ?? 'object'} is not JSON serializable`);
  }
  const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
  const parts: string[] = [];
  const inner = layout.indent === undefined ? pad : pad + layout.indent;
  active.add(value);
  if (isArray) {
    for (const item of value as unknown[]) parts.push(encodeValue(item, layout, inner, active));
  } else {
    for (const [k, v] of Object.entries(value)) {
      parts.push(pythonString(k, layout.ascii) + layout.key + encodeValue(v, layout, inner, active));
    }
  }
  active.delete(value);
  if (parts.length === 0) return open + close;
  if (layout.indent === undefined) return open + parts.join(layout.item) + close;
  const nl = `\n${inner}`;
  return `${open}${nl}${parts.join(layout.item + nl)}\n${pad}${close}`;
}

/** The bytes of a message on the wire (default: exactly what the course's Python json.dumps sends). */
export function encodeJson(value: JsonValue, options?: EncodeOptions): Buffer {
  return Buffer.from(pythonJsonDumps(value, options), 'utf8');
}
