/**
 * Locates the first JSON syntax error in a string. JSON.parse does not always say where it failed
 * (V8 omits the position for many messages), yet a grader needs to show the student the exact byte.
 * Only runs after JSON.parse has already failed. Iterative, so deep nesting cannot overflow the stack.
 */
export interface JsonSyntaxProblem {
  /** UTF-16 index into the string. */
  index: number;
  reason: string;
}

const OBJ = 0;
const ARR = 1;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPABLE = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX4 = /^[0-9a-fA-F]{4}$/;

export function locateJsonSyntaxError(s: string): JsonSyntaxProblem | undefined {
  const stack: number[] = [];
  const n = s.length;
  let i = 0;
  const skipWs = (): void => {
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const fail = (reason: string): JsonSyntaxProblem => ({ index: Math.min(i, n), reason });
  const describe = (): string => (i >= n ? 'unexpected end of input' : `unexpected ${JSON.stringify(s[i])}`);
  const scanString = (): JsonSyntaxProblem | undefined => {
    i++;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c === 0x5c) {
        const e = s[i + 1];
        if (e === 'u') {
          if (!HEX4.test(s.slice(i + 2, i + 6))) return fail('invalid \\u escape');
          i += 6;
        } else if (e !== undefined && ESCAPABLE.has(e)) i += 2;
        else return fail('invalid escape');
        continue;
      }
      if (c < 0x20) return fail('unescaped control character in string');
      i++;
    }
    return fail('unterminated string');
  };

  type State = 'value' | 'key' | 'after';
  let state: State = 'value';
  for (;;) {
    if (state === 'value') {
      skipWs();
      if (i >= n) return fail('unexpected end of input, expected a value');
      const c = s[i]!;
      if (c === '{') {
        i++;
        stack.push(OBJ);
        skipWs();
        if (s[i] === '}') {
          i++;
          stack.pop();
          state = 'after';
        } else state = 'key';
      } else if (c === '[') {
        i++;
        stack.push(ARR);
        skipWs();
        if (s[i] === ']') {
          i++;
          stack.pop();
          state = 'after';
        } else state = 'value';
      } else if (c === '"') {
        const p = scanString();
        if (p) return p;
        state = 'after';
      } else if (c === '-' || (c >= '0' && c <= '9')) {
        NUMBER.lastIndex = i;
        const m = NUMBER.exec(s);
        if (!m) return fail('invalid number');
        i += m[0].length;
        state = 'after';
      } else {
        const word = ['true', 'false', 'null'].find((w) => s.startsWith(w, i));
        if (!word) return fail(`${describe()}, expected a value`);
        i += word.length;
        state = 'after';
      }
    } else if (state === 'key') {
      skipWs();
      if (s[i] !== '"') return fail(`${describe()}, expected a property name`);
      const p = scanString();
      if (p) return p;
      skipWs();
      if (s[i] !== ':') return fail(`${describe()}, expected ':'`);
      i++;
      state = 'value';
    } else {
      skipWs();
      const top = stack[stack.length - 1];
      if (top === undefined) return i < n ? fail(`${describe()} after the end of the value`) : undefined;
      const c = s[i];
      if (c === ',') {
        i++;
        state = top === OBJ ? 'key' : 'value';
      } else if ((c === '}' && top === OBJ) || (c === ']' && top === ARR)) {
        i++;
        stack.pop();
      } else return fail(`${describe()}, expected ',' or '${top === OBJ ? '}' : ']'}'`);
    }
  }
}
