import type { JsonValue } from '../../../spec/codec/index.ts';
import { encodeDataFile, encodeDataFileEntry, DATA_FILE_ENTRY_PAD } from './data-file-encoding.ts';

const SEPARATOR = Buffer.from(`,\n${DATA_FILE_ENTRY_PAD}`);
const OPEN = Buffer.from(`[\n${DATA_FILE_ENTRY_PAD}`);
const CLOSE = Buffer.from('\n]');

/**
 * An encoder for one list file (a conversation, posts.json) that remembers its last output. The
 * common write appends to the list, so when the new list starts with the very same entry objects
 * (documents are copy-on-write), the old bytes are reused and only the new entries are encoded:
 * a conversation of n messages costs one message's encoding plus a memcpy, not n encodings.
 */
export function createListEncoder(): (list: JsonValue[]) => Buffer {
  let previous: JsonValue[] = [];
  let head: Buffer | undefined; // '[\n    e1,\n    ...en' without the closing '\n]'
  return (list) => {
    let reuse = head !== undefined && list.length >= previous.length && previous.length > 0;
    for (let i = 0; reuse && i < previous.length; i += 1) reuse = list[i] === previous[i];
    if (list.length === 0) {
      previous = [];
      head = undefined;
      return encodeDataFile(list);
    }
    const parts: Buffer[] = [];
    let from = 0;
    if (reuse) {
      parts.push(head!);
      from = previous.length;
    }
    for (let i = from; i < list.length; i += 1) {
      parts.push(i === 0 ? OPEN : SEPARATOR, Buffer.from(encodeDataFileEntry(list[i]!), 'utf8'));
    }
    head = Buffer.concat(parts);
    previous = list.slice();
    return Buffer.concat([head, CLOSE]);
  };
}
