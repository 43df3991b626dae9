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
  /**
   * A started request must be complete this long after its first byte, however steadily it
   * trickles in (the idle limit alone let one byte every 3 s hold a connection for ever).
   */
  requestTimeoutMs: 10_000,
  /**
   * An image's deadline is requestTimeoutMs plus its announced length at this rate: a 2.4 MB photo
   * gets about 47 s, far more than any real upload on the course's localhost or a campus link needs.
   */
  imageBytesPerSecond: 64 * 1024,
  /** LIM-3: concurrent connections; one more is answered with an error and closed. */
  maxConnections: 1024,
  /**
   * LIM-3: concurrent connections from one IP address, so one peer cannot take every slot (1030
   * slow connections from one host used to lock every other client out).
   */
  maxConnectionsPerIp: 64,
  /**
   * IMG-6: pause between the flushed image acknowledgement and the final reply, so a client that
   * parses one object per recv() has read the acknowledgement before the final reply arrives.
   */
  ackGapMs: 50,
  /** How long close() waits for in-flight requests before it drops the remaining connections. */
  shutdownTimeoutMs: 10_000,
});
