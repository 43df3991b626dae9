import { createHash } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import { eventBytes } from './event-bytes.ts';
import type { Transcript, TranscriptEvent } from './format.ts';
import { DEFAULT_MATCHERS, matchJson, type FieldMatcher } from './matchers.ts';

// Two transcripts of the same conversation agree when, connection by connection, they hold the
// same sequence of wire events: the same JSON (key order free, matcher fields loose), the same image
// sizes and hashes, the same undecodable bytes, the same closes by the server. Times, notes, connects
// and closes the recording side made up do not count.

export interface Comparable {
  conn: string;
  /** Index in the transcript's events. */
  index: number;
  event: TranscriptEvent;
}

export interface CompareOptions {
  matchers?: readonly FieldMatcher[];
  /** Compare image hashes too (off in replays that had to send stand-in bytes). */
  imageHashes?: boolean;
  /** Compare whitespace between messages (raw events without an error). */
  whitespace?: boolean;
  /** Labels for the diff header. */
  labels?: [string, string];
}

export interface Divergence {
  conn: string;
  /** Position among the connection's comparable events. */
  position: number;
  expected: Comparable | undefined;
  actual: Comparable | undefined;
  reason: string;
  /** A unified diff of the connection's events from a little before the divergence. */
  diff: string;
}

export interface CompareResult {
  ok: boolean;
  /** The first divergence of each connection that has one, earliest (in the expected transcript) first. */
  divergences: Divergence[];
  compared: number;
}

export function isComparable(event: TranscriptEvent, options: CompareOptions = {}): boolean {
  if (event.synthetic) return false;
  switch (event.kind) {
    case 'json':
    case 'image-length':
    case 'image-bytes':
      return true;
    case 'raw':
      return event.error !== undefined || options.whitespace === true;
    case 'close':
      // The client side's closes are the driver's doing; the server's are behaviour.
      return event.dir === 's2c';
    default:
      return false;
  }
}

export function comparablesByConnection(transcript: Transcript, options: CompareOptions = {}): Map<string, Comparable[]> {
  const out = new Map<string, Comparable[]>();
  // Connections with nothing comparable (notes only, or a connect and nothing else) are left out.
  // A server's close counts only while the client side is open: closing after the client's own
  // close is the expected answer to it, and a recording may well have stopped before seeing it.
  const clientClosed = new Set<string>();
  transcript.events.forEach((event, index) => {
    if (event.kind === 'close' && event.dir === 'c2s') clientClosed.add(event.conn);
    if (!isComparable(event, options)) return;
    if (event.kind === 'close' && clientClosed.has(event.conn)) return;
    if (!out.has(event.conn)) out.set(event.conn, []);
    out.get(event.conn)!.push({ conn: event.conn, index, event });
  });
  return out;
}

/** The fields of an event that comparison looks at, as a plain value. */
export function comparableView(event: TranscriptEvent, options: CompareOptions = {}): Record<string, unknown> {
  const base = { dir: event.dir, kind: event.kind };
  switch (event.kind) {
    case 'json':
      return { ...base, json: event.json };
    case 'image-length':
      return { ...base, length: event.length };
    case 'image-bytes':
      return options.imageHashes === false ? { ...base, length: event.length } : { ...base, length: event.length, sha256: event.sha256 };
    case 'raw': {
      const bytes = eventBytes(event);
      return { ...base, error: event.error, bytes: bytes ? printable(bytes) : undefined };
    }
    default:
      return base;
  }
}

function printable(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  return text.length > 200 ? `${JSON.stringify(text.slice(0, 200))}... (${bytes.length} bytes)` : JSON.stringify(text);
}

function compareOne(expected: TranscriptEvent, actual: TranscriptEvent, options: CompareOptions): { ok: boolean; reason: string; normalized: unknown } {
  const ev = comparableView(expected, options);
  const av = comparableView(actual, options);
  if (ev.dir !== av.dir || ev.kind !== av.kind) {
    return { ok: false, reason: `expected ${ev.dir ?? ''} ${ev.kind}, got ${av.dir ?? ''} ${av.kind}`, normalized: av };
  }
  const match = matchJson(ev, av, options.matchers ?? DEFAULT_MATCHERS);
  return {
    ok: match.ok,
    reason: match.ok ? '' : `${ev.kind} differs at ${match.mismatches.slice(0, 5).join(', ')}`,
    normalized: match.normalized,
  };
}

/**
 * One block per event: a `# dir kind` line, then its fields as indented JSON with keys sorted and
 * long strings cut (with their length and a hash, so a difference at the far end still shows).
 */
function render(items: unknown[]): string {
  return items
    .map((item) => {
      const { dir, kind, ...rest } = item as Record<string, unknown>;
      const body = Object.keys(rest).length > 0 ? `${JSON.stringify(sortKeys(clipStrings(rest)), null, 2)}\n` : '';
      return `# ${String(dir ?? '')} ${String(kind)}\n${body}`;
    })
    .join('');
}

const CLIP = 100;

function clipStrings(value: unknown): unknown {
  if (typeof value === 'string') {
    if (value.length <= CLIP) return value;
    const hash = createHash('sha256').update(value).digest('hex').slice(0, 10);
    return `${value.slice(0, CLIP - 20)}… (${value.length} chars, sha256 ${hash})`;
  }
  if (Array.isArray(value)) return value.map(clipStrings);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clipStrings(v)]));
  }
  return value;
}

/** JSON with keys sorted, one event per line: key order is not a difference. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function compareTranscripts(expected: Transcript, actual: Transcript, options: CompareOptions = {}): CompareResult {
  const [labelA, labelB] = options.labels ?? ['expected', 'actual'];
  const left = comparablesByConnection(expected, options);
  const right = comparablesByConnection(actual, options);
  const conns = [...new Set([...left.keys(), ...right.keys()])];
  const divergences: Divergence[] = [];
  let compared = 0;
  for (const conn of conns) {
    const a = left.get(conn);
    const b = right.get(conn);
    if (!a || !b) {
      divergences.push({
        conn,
        position: 0,
        expected: a?.[0],
        actual: b?.[0],
        reason: a ? `connection ${conn} is missing from ${labelB}` : `connection ${conn} is only in ${labelB}`,
        diff: '',
      });
      continue;
    }
    const normalizedB: unknown[] = [];
    let first: { position: number; reason: string } | undefined;
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i += 1) {
      const ea = a[i];
      const eb = b[i];
      if (ea && eb) {
        compared += 1;
        const result = compareOne(ea.event, eb.event, options);
        normalizedB.push(result.normalized);
        if (!result.ok && !first) first = { position: i, reason: result.reason };
      } else {
        if (eb) normalizedB.push(comparableView(eb.event, options));
        if (!first) {
          first = ea
            ? { position: i, reason: `${labelB} ends before ${describe(ea.event)}` }
            : { position: i, reason: `${labelB} has more: ${describe(eb!.event)}` };
        }
      }
    }
    if (!first) continue;
    // Show the divergence with a little context, not the whole conversation.
    const from = Math.max(0, first.position - 3);
    const to = first.position + 6;
    const diff = createTwoFilesPatch(
      `${labelA} (${conn})`,
      `${labelB} (${conn})`,
      render(a.slice(from, to).map((c) => comparableView(c.event, options))),
      render(normalizedB.slice(from, to)),
      undefined,
      undefined,
      { context: 3 },
    );
    divergences.push({ conn, position: first.position, expected: a[first.position], actual: b[first.position], reason: first.reason, diff });
  }
  divergences.sort((x, y) => (x.expected?.index ?? Infinity) - (y.expected?.index ?? Infinity));
  return { ok: divergences.length === 0, divergences, compared };
}

export function describe(event: TranscriptEvent): string {
  const dir = event.dir ? `${event.dir} ` : '';
  switch (event.kind) {
    case 'json':
      return `${dir}json ${stableStringify(event.json).slice(0, 100)}`;
    case 'image-length':
      return `${dir}image length ${event.length}`;
    case 'image-bytes':
      return `${dir}image of ${event.length} bytes`;
    case 'raw':
      return `${dir}raw bytes${event.error ? ` (${event.error})` : ''}`;
    case 'close':
      return `${dir}close`;
    default:
      return `${dir}${event.kind}`;
  }
}
