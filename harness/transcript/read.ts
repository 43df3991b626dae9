import { readFile } from 'node:fs/promises';
import type { ZodError } from 'zod';
import { isRequirementId } from '../../spec/requirements.ts';
import { InvalidTranscriptError, TranscriptError, type TranscriptIssue } from './errors.ts';
import { TranscriptEvent, TranscriptHeader, type Transcript } from './format.ts';

// The Zod line schema checks each line's shape; the rules below are the ones a line cannot check on
// its own or that depend on the kind (a json event needs its JSON, an image-bytes event its hash...).

const NEEDS_DIR = new Set(['json', 'image-length', 'image-bytes', 'raw', 'close', 'timeout']);

function kindIssues(event: TranscriptEvent): string[] {
  const issues: string[] = [];
  if (NEEDS_DIR.has(event.kind) && event.dir === undefined) issues.push(`a ${event.kind} event needs "dir"`);
  if (event.text !== undefined && event.base64 !== undefined) issues.push('"text" and "base64" are exclusive');
  const hasBytes = event.text !== undefined || event.base64 !== undefined;
  switch (event.kind) {
    case 'json':
      if (!hasBytes) issues.push('a json event needs its exact bytes ("text" or "base64")');
      if (typeof event.json !== 'object' || event.json === null || Array.isArray(event.json)) {
        issues.push('a json event needs "json", the decoded object');
      }
      break;
    case 'image-length':
      if (event.length === undefined) issues.push('an image-length event needs "length"');
      if (event.base64 !== undefined && Buffer.from(event.base64, 'base64').length !== 8) {
        issues.push('an image-length event holds exactly the 8 header bytes');
      }
      break;
    case 'image-bytes':
      if (event.length === undefined || event.sha256 === undefined) {
        issues.push('an image-bytes event needs "length" and "sha256"');
      }
      if (event.preview !== undefined && event.length !== undefined) {
        const size = Buffer.from(event.preview, 'base64').length;
        if (size !== event.length) issues.push(`"preview" holds ${size} bytes but "length" is ${event.length}`);
      }
      break;
    case 'raw':
      if (!hasBytes) issues.push('a raw event needs its bytes ("text" or "base64")');
      break;
    case 'note':
      if (event.note === undefined) issues.push('a note event needs "note"');
      break;
    default:
      break;
  }
  if (event.error !== undefined && !/^INSTANET_ERR_[A-Z0-9_]+$/.test(event.error)) {
    issues.push(`"error" must be an INSTANET_ERR_ code, got ${JSON.stringify(event.error)}`);
  }
  for (const id of event.requirements ?? []) {
    if (!isRequirementId(id)) issues.push(`unknown requirement ID ${JSON.stringify(id)}`);
  }
  return issues;
}

function zodIssues(error: ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return `${path}${issue.message}`;
  });
}

/** Parse and validate transcript text; throws InvalidTranscriptError listing every bad line. */
export function parseTranscript(text: string, file?: string): Transcript {
  const issues: TranscriptIssue[] = [];
  let header: TranscriptHeader | undefined;
  const events: TranscriptEvent[] = [];
  let lastT = 0;
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const lineNo = index + 1;
    const line = lines[index]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      issues.push({ line: lineNo, message: `not JSON: ${(error as Error).message}` });
      continue;
    }
    const type = (value as { type?: unknown } | null)?.type;
    if (header === undefined) {
      const parsed = TranscriptHeader.safeParse(value);
      if (!parsed.success) {
        const why = type === 'event' ? ['the first line must be the header, found an event'] : zodIssues(parsed.error);
        for (const message of why) issues.push({ line: lineNo, message: `header: ${message}` });
        // Without a header nothing below can be trusted to mean what it says.
        break;
      }
      header = parsed.data;
      continue;
    }
    if (type === 'header') {
      issues.push({ line: lineNo, message: 'a second header; one transcript per file' });
      continue;
    }
    const parsed = TranscriptEvent.safeParse(value);
    if (!parsed.success) {
      for (const message of zodIssues(parsed.error)) issues.push({ line: lineNo, message });
      continue;
    }
    const event = parsed.data;
    for (const message of kindIssues(event)) issues.push({ line: lineNo, message });
    if (event.t < lastT) issues.push({ line: lineNo, message: `time goes backwards (${event.t} ms after ${lastT} ms)` });
    lastT = Math.max(lastT, event.t);
    events.push(event);
  }
  if (header === undefined && issues.length === 0) issues.push({ line: 0, message: 'empty: no header line' });
  if (issues.length > 0 || header === undefined) throw new InvalidTranscriptError(file, issues);
  return { header, events };
}

export async function readTranscript(file: string): Promise<Transcript> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TranscriptError(
      'INSTANET_ERR_TRANSCRIPT_UNREADABLE',
      `cannot read transcript ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      { cause: error },
    );
  }
  return parseTranscript(text, file);
}
