import { pythonJsonDumps, pythonString, type JsonValue } from '../../../spec/codec/index.ts';
import { isPlainObject } from './documents.ts';

export const DATA_FILE_ENTRY_PAD = '    ';
const ENTRY_PAD = DATA_FILE_ENTRY_PAD;
// Encoded top-level entries (a message, a post, a user's record), by identity. Documents are
// copy-on-write, so an entry object never changes once committed, and rewriting a conversation of
// n messages after an append encodes one message instead of n.
const encodedEntries = new WeakMap<object, string>();

/** One top-level entry of a data file, indented for its place in the file; cached by identity. */
export function encodeDataFileEntry(value: JsonValue): string {
  if (typeof value !== 'object' || value === null) return pythonJsonDumps(value, { indent: 4 });
  let text = encodedEntries.get(value);
  if (text === undefined) {
    // JSON text never holds a raw newline inside a string, so re-indenting by lines is exact.
    text = pythonJsonDumps(value, { indent: 4 }).replaceAll('\n', `\n${ENTRY_PAD}`);
    encodedEntries.set(value, text);
  }
  return text;
}

/**
 * Course files: json.dump(obj, f, indent=4), i.e. 4-space indent, ASCII escapes, ',' item
 * separator, no trailing newline. Byte-identical to pythonJsonDumps(value, { indent: 4 }).
 */
export function encodeDataFile(value: JsonValue): Buffer {
  let text: string;
  if (Array.isArray(value)) {
    text = value.length === 0 ? '[]' : `[\n${ENTRY_PAD}${value.map(encodeDataFileEntry).join(`,\n${ENTRY_PAD}`)}\n]`;
  } else if (isPlainObject(value)) {
    const entries = Object.entries(value);
    text =
      entries.length === 0
        ? '{}'
        : `{\n${ENTRY_PAD}${entries.map(([key, entry]) => `${pythonString(key)}: ${encodeDataFileEntry(entry)}`).join(`,\n${ENTRY_PAD}`)}\n}`;
  } else {
    text = pythonJsonDumps(value, { indent: 4 });
  }
  return Buffer.from(text, 'utf8');
}
