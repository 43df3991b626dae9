import { describe, expect, it } from 'vitest';
import { findCommand } from '../cli/commands.ts';
import { ClientUsageError } from '../cli/usage-error.ts';
import { parseCommandLine } from './parse-line.ts';
import { tokenize } from './tokenize.ts';

const spec = (name: string) => findCommand(name)!;

describe('shell line parsing', () => {
  it('tokenizes quotes and escapes like a shell', () => {
    expect(tokenize(`a "b c" 'd "e"' f\\ g "h\\"i"`).map((t) => t.value)).toEqual(['a', 'b c', 'd "e"', 'f g', 'h"i']);
    expect(() => tokenize('say "unfinished')).toThrow(/unterminated " quote/);
    expect(tokenize('say "unfinished', { allowOpenQuote: true }).map((t) => t.value)).toEqual(['say', 'unfinished']);
  });

  it('gives a text argument the rest of the line exactly as typed', () => {
    expect(parseCommandLine(spec('dm'), 'dm user2 hello   there "you" 👋').args).toEqual(['user2', 'hello   there "you" 👋']);
    expect(parseCommandLine(spec('dm'), 'dm user2 "  padded  "').args).toEqual(['user2', '  padded  ']);
    expect(parseCommandLine(spec('dm'), 'dm user2 مرحبا بكم').args).toEqual(['user2', 'مرحبا بكم']);
    expect(parseCommandLine(spec('comment'), 'comment 2 nice one --json')).toEqual({ args: ['2', 'nice one'], options: {}, json: true });
  });

  it('reads options, a text option running to the next option', () => {
    expect(parseCommandLine(spec('post'), 'post "my photo.jpg" --caption sunset at the beach').options).toEqual({ caption: 'sunset at the beach' });
    expect(parseCommandLine(spec('post'), 'post a.jpg --caption "x y" --json')).toEqual({ args: ['a.jpg'], options: { caption: 'x y' }, json: true });
    expect(parseCommandLine(spec('feed'), 'feed --save-images out').options).toEqual({ 'save-images': 'out' });
    expect(() => parseCommandLine(spec('feed'), 'feed --save-images out extra')).toThrow(/too many arguments/);
  });

  it('refuses unknown options, missing option values and extra arguments with usage errors', () => {
    expect(() => parseCommandLine(spec('feed'), 'feed --bogus')).toThrow(ClientUsageError);
    expect(() => parseCommandLine(spec('post'), 'post a.jpg --caption')).toThrow(/--caption needs a value/);
    expect(() => parseCommandLine(spec('accept'), 'accept user2 user3')).toThrow(/too many arguments/);
    expect(() => parseCommandLine(spec('dm'), 'dm user2 "oops')).toThrow(/unterminated/);
  });
});
