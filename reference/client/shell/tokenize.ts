import { KitError } from '../../../spec/kit-error.ts';
// Splits a shell line into words the way a POSIX shell would for the simple cases a user types:
// whitespace separates, "double" and 'single' quotes group, a backslash escapes the next character
// (outside single quotes). Each word keeps its position so a command can take the raw rest of a line.

export interface Token {
  value: string;
  /** Index of the word's first character in the line (its opening quote, if any). */
  start: number;
  end: number;
  quoted: boolean;
}

export class UnterminatedQuoteError extends KitError {
  readonly code = 'INSTANET_ERR_SHELL_QUOTE';
}

export function tokenize(line: string, options: { allowOpenQuote?: boolean } = {}): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i += 1;
    if (i >= line.length) break;
    const start = i;
    let value = '';
    let quoted = false;
    while (i < line.length && !/\s/.test(line[i]!)) {
      const ch = line[i]!;
      if (ch === '"' || ch === "'") {
        quoted = true;
        const close = ch;
        i += 1;
        let closed = false;
        while (i < line.length) {
          const c = line[i]!;
          if (c === close) {
            closed = true;
            i += 1;
            break;
          }
          if (c === '\\' && close === '"' && i + 1 < line.length) {
            value += line[i + 1];
            i += 2;
            continue;
          }
          value += c;
          i += 1;
        }
        if (!closed && !options.allowOpenQuote) throw new UnterminatedQuoteError(`unterminated ${close} quote`);
      } else if (ch === '\\' && i + 1 < line.length) {
        value += line[i + 1];
        i += 2;
      } else {
        value += ch;
        i += 1;
      }
    }
    tokens.push({ value, start, end: i, quoted });
  }
  return tokens;
}
