import { z } from 'zod';

// The course client stamps posts with strftime('%Y-%m-%d %H:%M:%S') and DMs with
// datetime.now().isoformat(): both naive local time. The helpers below reproduce those bytes so a
// reference client is indistinguishable from the course's, and so file names derived from them match.

export const TIMESTAMP_FORMATS = {
  /** Python strftime pattern of post timestamps. */
  post: '%Y-%m-%d %H:%M:%S',
  /** DM timestamps: Python datetime.isoformat() (ISO 8601, microseconds omitted when zero). */
  dm: 'isoformat',
} as const;

export const POST_TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
// isoformat() of an aware datetime appends an offset; accepted so a client in UTC+x is not refused.
export const DM_TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?([+-]\d{2}:\d{2})?$/;

export const PostTimestamp = z
  .string()
  .regex(POST_TIMESTAMP_PATTERN, "expected a post timestamp '%Y-%m-%d %H:%M:%S'")
  .describe("Post timestamp, Python strftime('%Y-%m-%d %H:%M:%S'), e.g. 2025-05-13 21:52:29.");
export type PostTimestamp = z.infer<typeof PostTimestamp>;

export const DmTimestamp = z
  .string()
  .regex(DM_TIMESTAMP_PATTERN, 'expected an ISO 8601 timestamp as Python isoformat() writes it')
  .describe('DM timestamp, Python datetime.isoformat(), e.g. 2025-05-13T21:52:29.123456.');
export type DmTimestamp = z.infer<typeof DmTimestamp>;

export interface TimestampOptions {
  /** Use UTC fields instead of local time (the course client uses local time). */
  utc?: boolean;
}

function fields(date: Date, utc: boolean) {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid Date');
  return utc
    ? [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds()]
    : [date.getFullYear(), date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes(), date.getSeconds(), date.getMilliseconds()];
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** '%Y-%m-%d %H:%M:%S' of the date (local time unless options.utc). */
export function formatPostTimestamp(date: Date, options: TimestampOptions = {}): string {
  const [y, mo, d, h, mi, s] = fields(date, options.utc ?? false) as [number, number, number, number, number, number];
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}:${pad(s)}`;
}

/**
 * Python isoformat() of a naive datetime: 'YYYY-MM-DDTHH:MM:SS.ffffff', the fraction left out when
 * the microseconds are zero, exactly as Python does. A JS Date holds milliseconds, so the last three
 * digits are zero unless options.microseconds (0..999999) supplies a finer value.
 */
export function formatDmTimestamp(date: Date, options: TimestampOptions & { microseconds?: number } = {}): string {
  const [y, mo, d, h, mi, s, ms] = fields(date, options.utc ?? false) as [number, number, number, number, number, number, number];
  const micro = options.microseconds ?? ms * 1000;
  if (!Number.isInteger(micro) || micro < 0 || micro > 999_999) throw new RangeError(`microseconds out of range: ${micro}`);
  const base = `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}`;
  return micro === 0 ? base : `${base}.${pad(micro, 6)}`;
}
