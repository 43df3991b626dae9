import { InstaNetError } from '../errors.ts';

// Stable error codes for the transcript tools: scripts and CI match on `code`, never on wording.

/** The transcript tools' family, for one `instanceof` test. */
export class TranscriptError extends InstaNetError {}

export interface TranscriptIssue {
  /** 1-based line of the .jsonl file; 0 when the file as a whole is at fault. */
  line: number;
  message: string;
}

/** A transcript file that is not valid JSON Lines in the transcript format. */
export class InvalidTranscriptError extends TranscriptError {
  readonly file: string | undefined;
  readonly issues: readonly TranscriptIssue[];
  constructor(file: string | undefined, issues: readonly TranscriptIssue[]) {
    const where = file ?? 'transcript';
    const shown = issues.slice(0, 10).map((i) => `  ${where}:${i.line}: ${i.message}`);
    if (issues.length > shown.length) shown.push(`  ... and ${issues.length - shown.length} more`);
    super('INSTANET_ERR_INVALID_TRANSCRIPT', `invalid transcript ${where}:\n${shown.join('\n')}`);
    this.file = file;
    this.issues = issues;
  }
}

/** Recording into a connection after it was closed, or reusing a closed connection id. */
export class RecorderStateError extends TranscriptError {
  constructor(message: string) {
    super('INSTANET_ERR_RECORDER_STATE', message);
  }
}
