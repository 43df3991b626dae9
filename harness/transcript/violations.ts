import type { ZodError, ZodTypeAny } from 'zod';
import {
  ErrorReply,
  ImageAck,
  REPLY_REQUIREMENT,
  REPLY_TEXT,
  REQUEST_SCHEMAS,
  ReadyAck,
  carriesImage,
  isAction,
  replySchema,
  type Action,
} from '../../spec/messages/index.ts';
import type { Direction, TranscriptEvent } from './format.ts';

// Judges a conversation as it is recorded: every event goes through `check`, which follows each
// connection's request/reply pairing (and the image exchange) and returns what broke the spec.
// The proxy prints these live; `transcript show` marks them. It judges what it can see on the wire
// only: file contents and timing-dependent rules (IMG-6) are for the harness.

export type Severity = 'error' | 'warning';

export interface Violation {
  conn: string;
  t: number;
  /** The side at fault. */
  dir: Direction;
  severity: Severity;
  requirements: string[];
  message: string;
  /** Index of the event in the transcript, when known. */
  event?: number;
}

type Phase = 'reply' | 'ready' | 'image' | 'ack' | 'final';

interface Pending {
  action: Action | undefined;
  phase: Phase;
  /** The client sent bytes that did not decode: the server should answer with an error (FRAME-9). */
  malformed?: boolean;
}

interface ConnState {
  queue: Pending[];
  /** A recording cap dropped bytes: what follows cannot be paired, so nothing more is judged. */
  blind?: boolean;
}

function summarize(error: ZodError): { text: string; onlyExtraKeys: boolean } {
  const onlyExtraKeys = error.issues.every((i) => i.code === 'unrecognized_keys');
  const text = error.issues
    .slice(0, 3)
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  return { text, onlyExtraKeys };
}

function brief(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

export class ViolationChecker {
  readonly violations: Violation[] = [];
  readonly #conns = new Map<string, ConnState>();
  #index = 0;

  /** Feed the next event; returns the violations it revealed (also kept in `violations`). */
  check(event: TranscriptEvent): Violation[] {
    const index = this.#index;
    this.#index += 1;
    const found: Violation[] = [];
    const report = (dir: Direction, requirements: string[], message: string, severity: Severity = 'error'): void => {
      found.push({ conn: event.conn, t: event.t, dir, severity, requirements, message, event: index });
    };
    let state = this.#conns.get(event.conn);
    if (!state) {
      state = { queue: [] };
      this.#conns.set(event.conn, state);
    }
    if (state.blind) return found;
    const dir = event.dir;
    switch (event.kind) {
      case 'json':
        if (dir === 'c2s') this.#request(state, event.json, report);
        else if (dir === 's2c') this.#reply(state, event.json, report);
        break;
      case 'raw':
        if (event.error && dir) {
          const who = dir === 'c2s' ? 'client' : 'server';
          const ids = dir === 'c2s' && event.error === 'INSTANET_ERR_IMAGE_TOO_LARGE' ? ['IMG-7'] : ['FRAME-1'];
          report(dir, ids, `${who} sent bytes that are not a valid message (${event.error})${event.note ? `: ${event.note}` : ''}`);
          if (dir === 'c2s' && event.error !== 'INSTANET_ERR_TRUNCATED') {
            // Whatever was pending, the server now owes an error reply for the bad bytes (FRAME-9, IMG-7).
            state.queue = state.queue.filter((p) => p.phase !== 'image');
            state.queue.push({ action: undefined, phase: 'reply', malformed: true });
          }
        }
        break;
      case 'image-bytes': {
        const head = state.queue[0];
        if (head?.phase === 'image') head.phase = 'ack';
        break;
      }
      case 'close':
        if (dir === 's2c' && state.queue.length > 0 && event.synthetic) {
          // The recording stopped, not the server: all we know is that no reply came in time.
          const head = state.queue[0]!;
          report('s2c', head.malformed ? ['FRAME-9'] : ['CONN-2'], `no reply to ${head.malformed ? 'the undecodable bytes' : head.action ?? 'the request'} before the recording ended (waiting for ${head.phase})`, 'warning');
          state.queue.length = 0;
        } else if (dir === 's2c' && state.queue.length > 0) {
          const head = state.queue[0]!;
          if (head.malformed) {
            report('s2c', ['FRAME-9'], 'server closed the connection without an error reply to the undecodable bytes', 'warning');
          } else {
            report('s2c', ['CONN-2'], `server closed the connection with ${head.action ?? 'a request'} unanswered (waiting for ${head.phase})`);
          }
          state.queue.length = 0;
        }
        if (dir === 'c2s' && state.queue[0]?.phase === 'image') {
          report('c2s', ['CLNT-2'], 'client closed before sending the image it was asked for');
        }
        break;
      case 'note':
        if (event.dropped !== undefined) {
          state.blind = true;
          state.queue.length = 0;
        }
        break;
      case 'timeout':
        if (state.queue.length > 0) {
          const head = state.queue[0]!;
          report(dir ?? 's2c', head.phase === 'image' ? ['CLNT-2'] : ['CONN-2'], `no ${head.phase} for ${head.action ?? 'the request'}${event.note ? ` (${event.note})` : ''}`);
        }
        break;
      default:
        break;
    }
    this.violations.push(...found);
    return found;
  }

  #request(state: ConnState, value: unknown, report: (d: Direction, r: string[], m: string, s?: Severity) => void): void {
    const action = (value as { action?: unknown }).action;
    if (!isAction(action)) {
      // Not a client error as such: the server must answer it with "Invalid action" (ERR-1).
      state.queue.push({ action: undefined, phase: 'reply' });
      return;
    }
    const parsed = (REQUEST_SCHEMAS[action] as ZodTypeAny).safeParse(value);
    if (!parsed.success) {
      report('c2s', ['ERR-2'], `client's ${action} request does not match the spec: ${summarize(parsed.error).text}`, 'warning');
    }
    state.queue.push({ action, phase: carriesImage(value) ? 'ready' : 'reply' });
  }

  #reply(state: ConnState, value: unknown, report: (d: Direction, r: string[], m: string, s?: Severity) => void): void {
    const head = state.queue[0];
    if (!head) {
      report('s2c', ['CONN-2'], `server sent a message nobody asked for: ${brief(value)}`);
      return;
    }
    const done = (): void => {
      state.queue.shift();
    };
    const validate = (schema: ZodTypeAny, ids: string[], what: string): boolean => {
      const parsed = schema.safeParse(value);
      if (parsed.success) return true;
      const { text, onlyExtraKeys } = summarize(parsed.error);
      report('s2c', ids, `${what} does not match the spec: ${text} (got ${brief(value)})`, onlyExtraKeys ? 'warning' : 'error');
      return false;
    };
    switch (head.phase) {
      case 'ready':
        if (ReadyAck.safeParse(value).success) {
          head.phase = 'image';
        } else {
          // Refusing before "ready" is legitimate (an unknown user); anything else is not.
          validate(ErrorReply, ['IMG-1'], `reply to ${head.action} (expected {"status": "ready"} or an error)`);
          done();
        }
        return;
      case 'image':
        report('s2c', ['IMG-3'], `server replied before the image arrived: ${brief(value)}`);
        return;
      case 'ack':
        // After an error acknowledgement the course server sends the error again as the final reply (IMG-8).
        validate(ImageAck, ['IMG-4'], 'image acknowledgement');
        head.phase = 'final';
        return;
      case 'final':
      case 'reply':
        if (head.malformed) {
          validate(ErrorReply, ['FRAME-9', 'ERR-3'], 'reply to undecodable bytes');
        } else if (head.action === undefined) {
          const parsed = ErrorReply.safeParse(value);
          if (!parsed.success || parsed.data.message !== REPLY_TEXT.invalidAction) {
            report('s2c', ['ERR-1'], `an unknown action must get {"status": "error", "message": "Invalid action"}, got ${brief(value)}`);
          }
        } else {
          validate(replySchema(head.action), [REPLY_REQUIREMENT[head.action], 'ERR-3'], `reply to ${head.action}`);
        }
        done();
        return;
    }
  }
}

/** All violations of a finished transcript. */
export function checkEvents(events: readonly TranscriptEvent[]): Violation[] {
  const checker = new ViolationChecker();
  for (const event of events) checker.check(event);
  return checker.violations;
}
