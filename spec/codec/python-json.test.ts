import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeImageFrame, encodeImageHeader, decodeImageHeader } from './image-frame.ts';
import { encodeJson, JsonEncodeError, pythonJsonDumps, pythonNumber, type EncodeOptions } from './python-json.ts';
import type { JsonValue } from './types.ts';

// Expected strings below were produced by CPython 3.11's json.dumps (FRAME-11).
describe('pythonJsonDumps: Python json.dumps defaults (FRAME-11)', () => {
  it('escapes non-ASCII as \\uXXXX with surrogate pairs and uses ", " / ": "', () => {
    expect(pythonJsonDumps({ a: 'مرحبا 😀', b: [1, 2] })).toBe(
      '{"a": "\\u0645\\u0631\\u062d\\u0628\\u0627 \\ud83d\\ude00", "b": [1, 2]}',
    );
  });

  it('escapes quotes, backslashes and control characters exactly as Python does', () => {
    expect(pythonJsonDumps('"\\\n\r\t\b\f\x00\x1f\x7f\x80\u00e9\u2028\uffff\u{1F600}')).toBe(
      '"\\"\\\\\\n\\r\\t\\b\\f\\u0000\\u001f\\u007f\\u0080\\u00e9\\u2028\\uffff\\ud83d\\ude00"',
    );
  });

  it('escapes lone surrogates like Python does for a str holding one', () => {
    expect(pythonJsonDumps('a\ud800b\udc00')).toBe('"a\\ud800b\\udc00"');
    expect(pythonJsonDumps('a\ud800b', { ascii: false })).toBe('"a\\ud800b"');
  });

  it('prints floats like Python repr', () => {
    const floats = [
      0.1, 1.5, -2.25, 1e-5, 0.0001, 1.5e-7, 123456.789, 5e-324, -1.5e-10, 0.1 + 0.2, 100.5, 1.5e300, 1234567890123456.8,
    ];
    expect(pythonJsonDumps(floats)).toBe(
      '[0.1, 1.5, -2.25, 1e-05, 0.0001, 1.5e-07, 123456.789, 5e-324, -1.5e-10, 0.30000000000000004, 100.5, 1.5e+300, 1234567890123456.8]',
    );
  });

  it('prints safe integers as Python ints (JavaScript cannot tell 1 from 1.0), larger ones as floats', () => {
    expect(pythonJsonDumps([0, -0, 1, -7, 2 ** 53 - 1, 1.0])).toBe('[0, 0, 1, -7, 9007199254740991, 1]');
    // Beyond 2**53 a JavaScript number is only a double: print it as Python prints that float.
    expect(pythonJsonDumps([2 ** 53, 9.1e15, 2.5e16, 1e22, -1.5e300, 1.7976931348623157e308])).toBe(
      '[9007199254740992.0, 9100000000000000.0, 2.5e+16, 1e+22, -1.5e+300, 1.7976931348623157e+308]',
    );
  });

  it('prints NaN and infinities as Python does (allow_nan=True)', () => {
    expect(pythonJsonDumps([NaN, Infinity, -Infinity])).toBe('[NaN, Infinity, -Infinity]');
    expect(pythonNumber(-Infinity)).toBe('-Infinity');
  });

  it('keeps key order and prints literals', () => {
    expect(pythonJsonDumps({ z: 1, a: null, m: true, b: false, e: [], o: {} })).toBe(
      '{"z": 1, "a": null, "m": true, "b": false, "e": [], "o": {}}',
    );
  });

  it('indent=4 matches the course data files', () => {
    expect(
      pythonJsonDumps({ user: 'user1', friends: [], requests: {}, n: null, t: true, f: false }, { indent: 4 }),
    ).toBe(
      '{\n    "user": "user1",\n    "friends": [],\n    "requests": {},\n    "n": null,\n    "t": true,\n    "f": false\n}',
    );
    expect(pythonJsonDumps({ a: [1, { b: [] }] }, { indent: 0 })).toBe('{\n"a": [\n1,\n{\n"b": []\n}\n]\n}');
    expect(pythonJsonDumps({ a: [1, { b: [] }] }, { indent: 2, style: 'compact' })).toBe(
      '{\n  "a":[\n    1,\n    {\n      "b":[]\n    }\n  ]\n}',
    );
  });

  it('compact style and raw UTF-8', () => {
    expect(pythonJsonDumps({ a: [1, 2], b: { c: 'é' } }, { style: 'compact' })).toBe('{"a":[1,2],"b":{"c":"\\u00e9"}}');
    expect(encodeJson({ a: 'é😀', b: [1, 2] }, { ascii: false }).toString('hex')).toBe(
      '7b2261223a2022c3a9f09f9880222c202262223a205b312c20325d7d',
    );
  });

  it('refuses what Python refuses: cycles, undefined, functions, class instances, bad indent', () => {
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(() => pythonJsonDumps(cyclic as JsonValue)).toThrow(JsonEncodeError);
    expect(() => pythonJsonDumps({ a: undefined } as unknown as JsonValue)).toThrow(/not JSON serializable/);
    expect(() => pythonJsonDumps([() => 1] as unknown as JsonValue)).toThrow(JsonEncodeError);
    expect(() => pythonJsonDumps(new Date() as unknown as JsonValue)).toThrow(/Date/);
    expect(() => pythonJsonDumps({}, { indent: -1 })).toThrow(RangeError);
    // A shared (non-cyclic) reference is fine, as in Python.
    const shared = [1];
    expect(pythonJsonDumps([shared, shared])).toBe('[[1], [1]]');
  });
});

describe('image frame encoding (IMG-2)', () => {
  it('writes an 8-byte unsigned big-endian length', () => {
    expect(encodeImageHeader(0).toString('hex')).toBe('0000000000000000');
    expect(encodeImageHeader(0x0102030405).toString('hex')).toBe('0000000102030405');
    expect(encodeImageHeader(Number.MAX_SAFE_INTEGER).toString('hex')).toBe('001fffffffffffff');
    expect(encodeImageFrame(Buffer.from('hi')).toString('hex')).toBe('00000000000000026869');
    expect(decodeImageHeader(Buffer.from('ffffffffffffffff', 'hex'))).toBe(2n ** 64n - 1n);
  });

  it('rejects lengths a header cannot carry exactly', () => {
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN]) expect(() => encodeImageHeader(bad)).toThrow(RangeError);
  });
});

// Values whose numbers survive the trip to Python unchanged: safe integers and non-integral doubles.
const number = fc.oneof(
  fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
);
const anyUnitString = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)) });
const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string(), anyUnitString);
const value: fc.Arbitrary<JsonValue> = fc.letrec<{ v: JsonValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    text,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(text, tie('v'), { maxKeys: 4 }),
  ),
})).v;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
function hasLoneSurrogate(v: JsonValue): boolean {
  if (typeof v === 'string') return LONE_SURROGATE.test(v);
  if (Array.isArray(v)) return v.some(hasLoneSurrogate);
  if (v && typeof v === 'object') return Object.entries(v).some(([k, x]) => LONE_SURROGATE.test(k) || hasLoneSurrogate(x));
  return false;
}

const PYTHON_DUMPS = `
import base64, json, sys
for line in sys.stdin:
    case = json.loads(line)
    kw = {"ensure_ascii": case["ascii"]}
    if case["style"] == "compact": kw["separators"] = (",", ":")
    if case["indent"] is not None: kw["indent"] = case["indent"]
    out = json.dumps(case["value"], **kw).encode("utf-8")
    sys.stdout.write(base64.b64encode(out).decode() + "\\n")
`;

describe('cross-check against CPython json.dumps (FRAME-11)', () => {
  it('random values encode to the same bytes as python3', () => {
    const options = fc.record({
      style: fc.constantFrom<'python' | 'compact'>('python', 'compact'),
      ascii: fc.boolean(),
      indent: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }),
    });
    const cases = fc
      .sample(fc.record({ value, options }), { numRuns: 400, seed: 356 })
      // Raw UTF-8 cannot carry a lone surrogate; we escape it, Python would fail to encode: not comparable.
      .filter((c) => c.options.ascii || !hasLoneSurrogate(c.value));
    const input = cases
      .map((c) => JSON.stringify({ value: c.value, ascii: c.options.ascii, style: c.options.style, indent: c.options.indent }))
      .join('\n');
    const py = spawnSync('python3', ['-c', PYTHON_DUMPS], { input: `${input}\n`, encoding: 'utf8', timeout: 30_000 });
    expect(py.status, py.stderr).toBe(0);
    const lines = py.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(cases.length);
    cases.forEach((c, i) => {
      const opts: EncodeOptions = { style: c.options.style, ascii: c.options.ascii };
      if (c.options.indent !== null) opts.indent = c.options.indent;
      const ours = encodeJson(c.value, opts).toString('base64');
      if (ours !== lines[i]) {
        expect({ value: c.value, opts, ours: Buffer.from(ours, 'base64').toString() }).toEqual({
          value: c.value,
          opts,
          ours: Buffer.from(lines[i]!, 'base64').toString(),
        });
      }
    });
  });
});
