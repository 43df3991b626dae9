import type { CommandSpec } from '../cli/command-spec.ts';
import { usageLine } from '../cli/commands.ts';
import { ClientUsageError } from '../cli/usage-error.ts';
import { tokenize, UnterminatedQuoteError, type Token } from './tokenize.ts';

// A shell line -> arguments and options of one command definition. A `rest` argument (a text)
// takes the remainder of the line as typed, so `dm user2 hi   there "you"` sends exactly
// `hi   there "you"`; a single quoted word is unquoted (`dm user2 "  padded "`).

export interface ParsedLine {
  args: string[];
  options: Record<string, string | undefined>;
  json: boolean;
}

function restOf(line: string, tokens: readonly Token[]): string {
  if (tokens.length === 1 && tokens[0]!.quoted) return tokens[0]!.value;
  const first = tokens[0]!;
  const last = tokens.at(-1)!;
  return line.slice(first.start, last.end);
}

export function parseCommandLine(spec: CommandSpec, line: string): ParsedLine {
  let tokens: Token[];
  try {
    tokens = tokenize(line);
  } catch (error) {
    if (error instanceof UnterminatedQuoteError) throw new ClientUsageError(`${spec.name}: ${error.message}`, 'close the quote');
    throw error;
  }
  const words = tokens.slice(1);
  const options: Record<string, string | undefined> = {};
  let json = false;
  const positional: Token[] = [];
  const optionNames = new Map((spec.options ?? []).map((o) => [`--${o.name}`, o]));
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i]!;
    if (!word.quoted && word.value === '--json') {
      json = true;
      continue;
    }
    const option = word.quoted ? undefined : optionNames.get(word.value);
    if (option) {
      // A text option runs to the next option, so captions need no quotes.
      let j = i + 1;
      const stops = (w: Token) => !w.quoted && (optionNames.has(w.value) || w.value === '--json');
      while (j < words.length && !stops(words[j]!)) {
        if (option.kind !== 'text' && j > i + 1) break;
        j += 1;
      }
      const valueTokens = words.slice(i + 1, j);
      if (valueTokens.length === 0) throw new ClientUsageError(`${spec.name}: ${word.value} needs a value`, `usage: ${usageLine(spec)}`);
      options[option.name] = option.kind === 'text' ? restOf(line, valueTokens) : valueTokens[0]!.value;
      i = j - 1;
      continue;
    }
    if (!word.quoted && word.value.startsWith('--') && word.value.length > 2) {
      throw new ClientUsageError(`${spec.name}: unknown option ${word.value}`, `usage: ${usageLine(spec)}`);
    }
    positional.push(word);
  }
  const args: string[] = [];
  spec.args.forEach((arg, index) => {
    if (index >= positional.length) return;
    if (arg.rest) args.push(restOf(line, positional.slice(index)));
    else args.push(positional[index]!.value);
  });
  const last = spec.args.at(-1);
  if (!last?.rest && positional.length > spec.args.length) {
    throw new ClientUsageError(`${spec.name}: too many arguments`, `usage: ${usageLine(spec)}`);
  }
  return { args, options, json };
}
