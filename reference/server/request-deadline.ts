import { ServerError } from './errors.ts';

/**
 * A request (or an image) did not arrive whole within its deadline. Unlike the idle limit (LIM-2),
 * which each new byte restarts, a trickle of bytes does not extend it, so a slow-loris peer cannot hold a connection.
 */
export class RequestDeadlineError extends ServerError {
  readonly deadlineMs: number;
  constructor(deadlineMs: number) {
    super(
      'INSTANET_ERR_REQUEST_DEADLINE',
      `request not complete ${deadlineMs} ms after its first byte`,
      `Request timed out: not complete within ${deadlineMs} ms`,
    );
    this.deadlineMs = deadlineMs;
  }
}

export interface DeadlineBudget {
  /** A JSON request, from its first byte to its last. */
  requestTimeoutMs: number;
  /** An image gets the request budget plus its announced length at this rate. */
  imageBytesPerSecond: number;
}

/** How long a frame may take: the request budget, stretched for an image of known length. */
export function frameBudgetMs(budget: DeadlineBudget, imageLength: number | undefined): number {
  if (imageLength === undefined) return budget.requestTimeoutMs;
  return budget.requestTimeoutMs + Math.ceil((imageLength * 1000) / budget.imageBytesPerSecond);
}

/**
 * The clock of the frame being received. It starts with the frame's first byte and never restarts
 * until the frame is complete; it may only be stretched once the image length is known. When it
 * runs out it records the error and calls `onExpire`, and the reader throws it at its next wait
 * (a frame that completed meanwhile still wins).
 */
export class RequestDeadline {
  #timer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #budgetMs = 0;
  #expired: RequestDeadlineError | undefined;
  readonly #onExpire: () => void;

  constructor(onExpire: () => void) {
    this.#onExpire = onExpire;
  }

  get armed(): boolean {
    return this.#timer !== undefined || this.#expired !== undefined;
  }

  get expired(): RequestDeadlineError | undefined {
    return this.#expired;
  }

  /** Starts the clock, or re-aims it when the budget grew (never restarts it). */
  arm(budgetMs: number): void {
    if (this.#expired) return;
    if (this.#timer === undefined) {
      this.#startedAt = performance.now();
    } else if (budgetMs === this.#budgetMs) {
      return;
    }
    this.#budgetMs = budgetMs;
    if (this.#timer) clearTimeout(this.#timer);
    const remaining = Math.max(0, this.#startedAt + budgetMs - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#expired = new RequestDeadlineError(this.#budgetMs);
      this.#onExpire();
    }, remaining);
    this.#timer.unref();
  }

  /** The frame completed, the reader stopped, or the wait was ours (we paused the socket). */
  clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#expired = undefined;
  }
}
