import { performance } from 'node:perf_hooks';

// A peer that floods broken messages would otherwise make the proxy print a line per message and
// bury everything else (and cost more than the forwarding). Each connection may print `perSecond`
// violation lines per one-second window; the rest are counted and summed up in one line.

interface Window {
  startedAt: number;
  printed: number;
  suppressed: number;
}

export interface ThrottleVerdict {
  /** Print this violation. */
  print: boolean;
  /** Lines the connection's previous window suppressed, to be summed up before this one (0: none). */
  suppressedBefore: number;
}

export class ViolationThrottle {
  readonly perSecond: number;
  readonly #clock: () => number;
  readonly #windows = new Map<string, Window>();

  constructor(perSecond: number, clock: () => number = () => performance.now()) {
    this.perSecond = perSecond;
    this.#clock = clock;
  }

  admit(conn: string): ThrottleVerdict {
    const now = this.#clock();
    let window = this.#windows.get(conn);
    let suppressedBefore = 0;
    if (!window || now - window.startedAt >= 1000) {
      suppressedBefore = window?.suppressed ?? 0;
      window = { startedAt: now, printed: 0, suppressed: 0 };
      this.#windows.set(conn, window);
    }
    if (window.printed < this.perSecond) {
      window.printed += 1;
      return { print: true, suppressedBefore };
    }
    window.suppressed += 1;
    return { print: false, suppressedBefore };
  }

  /**
   * Suppressed counts not yet summed up: of every connection whose window has ended (a periodic
   * tick), or of every connection (`all`, when connections close or the proxy stops).
   */
  drain(all = false): Array<{ conn: string; suppressed: number }> {
    const now = this.#clock();
    const out: Array<{ conn: string; suppressed: number }> = [];
    for (const [conn, window] of this.#windows) {
      if (!all && now - window.startedAt < 1000) continue;
      if (window.suppressed > 0) out.push({ conn, suppressed: window.suppressed });
      this.#windows.delete(conn);
    }
    return out;
  }

  /** Suppressed count of one connection, not yet summed up (when it closes). */
  drainConnection(conn: string): number {
    const suppressed = this.#windows.get(conn)?.suppressed ?? 0;
    this.#windows.delete(conn);
    return suppressed;
  }
}
