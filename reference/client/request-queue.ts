// The protocol has no request ids: a reply belongs to whichever request is in flight. So one
// connection carries one exchange at a time, and callers that overlap (a shell's poller and its
// user) wait their turn in arrival order.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Exchanges queued or running. */
  get pending(): number {
    return this.waiting;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.waiting += 1;
    const result = this.tail.then(task).finally(() => {
      this.waiting -= 1;
    });
    // The chain must survive a failed task, or every later call would reject with its error.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
