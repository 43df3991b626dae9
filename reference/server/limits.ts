import { DEFAULT_LIMITS } from '../../spec/codec/index.ts';

/**
 * Defaults of the server's limits (LIM-1..LIM-3) and timing. Each has a startServer option and a
 * `instanet serve` flag of the same name.
 */
export const SERVER_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 5001,
  /** LIM-1: one JSON request, in bytes. The course's own requests stay far below; 4 MB ones work there. */
  maxJsonBytes: DEFAULT_LIMITS.maxJsonBytes,
  /** IMG-7: one image. The course's sample photos go up to 2.4 MB. */
  maxImageBytes: DEFAULT_LIMITS.maxImageBytes,
  /** LIM-2: how long a half-sent request (or an announced image) may sit without a new byte. */
  idleTimeoutMs: 30_000,
  /** LIM-3: concurrent connections; one more is answered with an error and closed. */
  maxConnections: 1024,
  /**
   * IMG-6: pause between the flushed image acknowledgement and the final reply, so a client that
   * parses one object per recv() has read the acknowledgement before the final reply arrives.
   */
  ackGapMs: 50,
  /** How long close() waits for in-flight requests before it drops the remaining connections. */
  shutdownTimeoutMs: 10_000,
});
