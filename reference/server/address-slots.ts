/**
 * Counts open connections per client IP address, so one host (a slow-loris script, a runaway
 * test) cannot take every connection slot and lock the others out (LIM-3).
 */
export class AddressSlots {
  readonly #limit: number;
  readonly #open = new Map<string, number>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Takes a slot for `address`; false when it already holds the limit. */
  take(address: string): boolean {
    const open = this.#open.get(address) ?? 0;
    if (open >= this.#limit) return false;
    this.#open.set(address, open + 1);
    return true;
  }

  release(address: string): void {
    const open = this.#open.get(address) ?? 0;
    // Deleting at zero keeps the map as small as the set of hosts connected right now.
    if (open <= 1) this.#open.delete(address);
    else this.#open.set(address, open - 1);
  }
}

/** One key per host: a dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d. */
export function addressKey(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return 'unknown';
  return remoteAddress.startsWith('::ffff:') ? remoteAddress.slice('::ffff:'.length) : remoteAddress;
}
