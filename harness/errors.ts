import { KitError } from '../spec/kit-error.ts';

// The base of the harness's errors (spec/kit-error.ts is the kit-wide base). Every failure the harness reports to a person carries a stable
// `code` ('INSTANET_ERR_...'): scripts, CI and the CLI's exit codes branch on it, never on wording.
// The class name becomes the error's `name`, so a stack or `String(error)` says which one it is.
// Tools whose errors form a family (transcript, grader) subclass this once for an `instanceof` test.

export class InstaNetError<Code extends string = string> extends KitError {
  readonly code: Code;
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A mistake in what the user typed or pointed at (a flag, a path, an input file): fix the command. */
export class UsageError extends InstaNetError<'INSTANET_ERR_USAGE'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INSTANET_ERR_USAGE', message, options);
  }
}

/** The command is right but this machine or network is not ready: nothing listening, a tool missing. */
export class EnvironmentError extends InstaNetError<'INSTANET_ERR_ENVIRONMENT'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INSTANET_ERR_ENVIRONMENT', message, options);
  }
}

/**
 * The kit could not judge in time: the machine gave a hand-in (or the kit's own processes) so little
 * CPU that a wait ran far past its budget in the hand-in's own time (harness/process/own-time.ts).
 * Never a student's failure: a case ends ERROR, a grade `kit-error` ("re-grade it").
 */
export class KitBusyError extends InstaNetError<'INSTANET_ERR_KIT_BUSY'> {
  constructor(message: string) {
    super('INSTANET_ERR_KIT_BUSY', message);
  }
}
