/** Size limits the decoder enforces so that a hostile or buggy peer can never make it buffer without bound. */
export interface CodecLimits {
  /** Largest JSON message, in bytes from its `{` to its matching `}`. */
  maxJsonBytes: number;
  /** Largest image payload a length header may announce. */
  maxImageBytes: number;
}

export const DEFAULT_LIMITS: CodecLimits = Object.freeze({
  maxJsonBytes: 8 * 1024 * 1024,
  maxImageBytes: 64 * 1024 * 1024,
});

/** Error payloads keep at most this many offending bytes: enough for a transcript, bounded for garbage. */
export const MAX_KEPT_BYTES = 64 * 1024;

export function resolveLimits(limits?: Partial<CodecLimits>): CodecLimits {
  const resolved: CodecLimits = { ...DEFAULT_LIMITS };
  for (const key of ['maxJsonBytes', 'maxImageBytes'] as const) {
    const value = limits?.[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`codec limit ${key} must be a non-negative safe integer, got ${String(value)}`);
    }
    resolved[key] = value;
  }
  return resolved;
}
