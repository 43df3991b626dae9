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
  const scanner = new Scanner(s);
  let state: State = 'value';
  for (;;) {
    const next: Outcome = state === 'value' ? scanner.value() : state === 'key' ? scanner.key() : scanner.after();
    if (next === 'end') return undefined;
    if (typeof next === 'object') return next;
    state = next;
  }
}

/** What the scanner expects next: a value, an object's key, or what may follow a value. */
type State = 'value' | 'key' | 'after';
/** A state's outcome: the next state, the end of a valid text, or the problem found. */
type Outcome = State | 'end' | JsonSyntaxProblem;

/** A cursor over the text and the containers open at it; each method reads one state's worth. */
class Scanner {
  readonly #s: string;
  readonly #n: number;
  readonly #stack: number[] = [];
  #i = 0;

  constructor(s: string) {
    this.#s = s;
    this.#n = s.length;
  }

  value(): Outcome {
    this.#skipWs();
    if (this.#i >= this.#n) return this.#fail('unexpected end of input, expected a value');
    const c = this.#s[this.#i]!;
    if (c === '{') return this.#open(OBJ, '}', 'key');
    if (c === '[') return this.#open(ARR, ']', 'value');
    if (c === '"') return this.#string() ?? 'after';
    if (c === '-' || (c >= '0' && c <= '9')) return this.#number();
    return this.#word();
  }

  key(): Outcome {
    this.#skipWs();
    if (this.#s[this.#i] !== '"') return this.#fail(`${this.#describe()}, expected a property name`);
    const p = this.#string();
    if (p) return p;
    this.#skipWs();
    if (this.#s[this.#i] !== ':') return this.#fail(`${this.#describe()}, expected ':'`);
    this.#i++;
    return 'value';
  }

  after(): Outcome {
    this.#skipWs();
    const top = this.#stack[this.#stack.length - 1];
    if (top === undefined) return this.#i < this.#n ? this.#fail(`${this.#describe()} after the end of the value`) : 'end';
    const c = this.#s[this.#i];
    if (c === ',') {
      this.#i++;
      return top === OBJ ? 'key' : 'value';
    }
    if ((c === '}' && top === OBJ) || (c === ']' && top === ARR)) {
      this.#i++;
      this.#stack.pop();
      return 'after';
    }
    return this.#fail(`${this.#describe()}, expected ',' or '${top === OBJ ? '}' : ']'}'`);
  }

  /** `{` or `[`: an empty container is a whole value; otherwise its first key or element follows. */
  #open(container: number, close: string, inside: State): State {
    this.#i++;
    this.#stack.push(container);
    this.#skipWs();
    if (this.#s[this.#i] !== close) return inside;
    this.#i++;
    this.#stack.pop();
    return 'after';
  }

  #number(): Outcome {
    NUMBER.lastIndex = this.#i;
    const m = NUMBER.exec(this.#s);
    if (!m) return this.#fail('invalid number');
    this.#i += m[0].length;
    return 'after';
  }

  #word(): Outcome {
    const word = ['true', 'false', 'null'].find((w) => this.#s.startsWith(w, this.#i));
    if (!word) return this.#fail(`${this.#describe()}, expected a value`);
    this.#i += word.length;
    return 'after';
  }

  /** From the opening quote past the closing one; a problem when the string is not valid JSON. */
  #string(): JsonSyntaxProblem | undefined {
    const s = this.#s;
    this.#i++;
    while (this.#i < this.#n) {
      const c = s.charCodeAt(this.#i);
      if (c === 0x22) {
        this.#i++;
        return undefined;
      }
      if (c === 0x5c) {
        const e = s[this.#i + 1];
        if (e === 'u') {
          if (!HEX4.test(s.slice(this.#i + 2, this.#i + 6))) return this.#fail('invalid \\u escape');
          this.#i += 6;
        } else if (e !== undefined && ESCAPABLE.has(e)) this.#i += 2;
        else return this.#fail('invalid escape');
        continue;
      }
      if (c < 0x20) return this.#fail('unescaped control character in string');
      this.#i++;
    }
    return this.#fail('unterminated string');
  }

  #skipWs(): void {
    while (this.#i < this.#n) {
      const c = this.#s.charCodeAt(this.#i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.#i++;
      else break;
    }
  }

  #fail(reason: string): JsonSyntaxProblem {
    return { index: Math.min(this.#i, this.#n), reason };
  }

  #describe(): string {
    return this.#i >= this.#n ? 'unexpected end of input' : `unexpected ${JSON.stringify(this.#s[this.#i])}`;
  }
}
