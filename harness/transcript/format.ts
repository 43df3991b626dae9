import { z } from 'zod';

// Transcripts are JSON Lines: one header line, then one event per line, so a transcript of a
// long run can be streamed, appended to while recording, and grepped.

export const TRANSCRIPT_FORMAT_VERSION = 1;

export const Direction = z.enum(['c2s', 's2c']).describe('c2s: client to server; s2c: server to client');
export type Direction = z.infer<typeof Direction>;

export const TranscriptHeader = z
  .object({
    type: z.literal('header'),
    format: z.literal(TRANSCRIPT_FORMAT_VERSION),
    kit: z.string().describe('kit version that wrote the transcript'),
    recordedAt: z.string().describe('ISO 8601 time the recording started'),
    source: z.string().describe('what was recorded: a scenario id, "proxy", ...'),
    title: z.string().optional(),
    target: z.string().optional().describe('the server: host:port or a command'),
  })
  .strict();
export type TranscriptHeader = z.infer<typeof TranscriptHeader>;

export const EventKind = z.enum([
  'connect',
  'json',
  'image-length',
  'image-bytes',
  'raw',
  'close',
  'timeout',
  'note',
]);
export type EventKind = z.infer<typeof EventKind>;

export const TranscriptEvent = z
  .object({
    type: z.literal('event'),
    t: z.number().nonnegative().describe('milliseconds since the header'),
    conn: z.string().min(1).describe('connection id, e.g. a scenario client name'),
    dir: Direction.optional().describe('absent for connect/note events'),
    kind: EventKind,
    text: z.string().optional().describe('the exact bytes, when they are valid UTF-8'),
    base64: z.string().optional().describe('the exact bytes, when they are not valid UTF-8'),
    json: z.unknown().optional().describe('the decoded JSON object (kind json)'),
    length: z.number().int().nonnegative().optional().describe('image length announced (image-length) or received (image-bytes)'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    preview: z.string().optional().describe('base64 of a small image, for thumbnails'),
    error: z.string().optional().describe('codec error code for raw bytes that did not decode'),
    note: z.string().optional(),
    requirements: z.array(z.string()).optional().describe('requirement IDs a check attached'),
    dropped: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('on a note with "dir": bytes of that direction seen but not recorded because a recording cap was reached; summing it over the notes gives the whole gap'),
    synthetic: z
      .literal(true)
      .optional()
      .describe('set on events the recording side made up rather than saw (a close when the recording ended); replay and diff ignore them'),
  })
  .strict();
export type TranscriptEvent = z.infer<typeof TranscriptEvent>;

export const TranscriptLine = z.discriminatedUnion('type', [TranscriptHeader, TranscriptEvent]);
export type TranscriptLine = z.infer<typeof TranscriptLine>;

export interface Transcript {
  header: TranscriptHeader;
  events: TranscriptEvent[];
}
