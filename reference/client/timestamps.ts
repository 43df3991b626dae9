import { formatDmTimestamp, formatPostTimestamp } from '../../spec/messages/index.ts';

// The course client stamps requests with its local clock; the SDK does the same through the spec's
// formatters, with an injectable clock so tests and recorded transcripts can be made deterministic.

export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** '%Y-%m-%d %H:%M:%S', local time, as the course client stamps posts. */
export function postTimestamp(clock: Clock = systemClock): string {
  return formatPostTimestamp(clock());
}

/** Python datetime.now().isoformat(), as the course client stamps DMs. */
export function dmTimestamp(clock: Clock = systemClock): string {
  return formatDmTimestamp(clock());
}
