// The base of the harness's errors. Every failure the harness reports to a person carries a stable
// `code` ('INSTANET_ERR_...'): scripts, CI and the CLI's exit codes branch on it, never on wording.
// The class name becomes the error's `name`, so a stack or `String(error)` says which one it is.
// Tools whose errors form a family (transcript, grader) subclass this once for an `instanceof` test.

export class InstaNetError<Code extends string = string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
