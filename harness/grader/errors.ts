import { InstaNetError } from '../errors.ts';

// Every failure the grader reports to a person carries a stable code, so scripts (and the
// Gradescope wrapper) can tell a bad rubric from a bad submission from a broken machine.

/** The grader's family, for one `instanceof` test; code, name and cause come from InstaNetError. */
export class GraderError extends InstaNetError {}

/** The rubric file cannot be read, is not YAML, or does not match the rubric format. */
export class RubricError extends GraderError {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, message: string) {
    super('INSTANET_ERR_RUBRIC', `${file}${line ? `:${line}` : ''}: ${message}`);
    this.file = file;
    this.line = line;
  }
}

/** The SUBMISSIONS argument is not a folder, or holds nothing to grade. */
export class SubmissionsFolderError extends GraderError {
  constructor(message: string) {
    super('INSTANET_ERR_SUBMISSIONS', message);
  }
}

/** A .zip hand-in is unreadable or tries to write outside its own folder (zip-slip). */
export class UnsafeArchiveError extends GraderError {
  constructor(message: string) {
    super('INSTANET_ERR_UNSAFE_ARCHIVE', message);
  }
}

// The sandbox's own error lives with it (harness/sandbox/errors.ts); the grader reports it as its own.
export { SandboxUnavailableError } from '../sandbox/errors.ts';

/** Other processes on this machine kept taking the ports the client half's judge was given. */
export class ProxyPortError extends GraderError {
  constructor(message: string) {
    super('INSTANET_ERR_PROXY_PORT', message);
  }
}

/** --shard is not of the form i/n with 1 <= i <= n. */
export class ShardSpecError extends GraderError {
  constructor(spec: string) {
    super('INSTANET_ERR_SHARD', `--shard must be i/n with 1 <= i <= n (got "${spec}")`);
  }
}

/** `gradebook merge` was given folders whose gradebooks do not line up. */
export class MergeError extends GraderError {
  constructor(message: string) {
    super('INSTANET_ERR_GRADEBOOK_MERGE', message);
  }
}
