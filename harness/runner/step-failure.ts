import type { FailureKind } from './report-format.ts';
import type { Mismatch } from './matchers.ts';

/** A check that did not hold: the server's fault, turned into FAILED/NON-STRICT/INFORMATIONAL. */
export class StepFailure extends Error {
  readonly code = 'INSTANET_ERR_CHECK_FAILED';
  constructor(
    readonly kind: FailureKind,
    readonly expected: string,
    readonly actual: string,
    readonly mismatches: Mismatch[] = [],
  ) {
    super(`${kind}: expected ${expected}; got ${actual}`);
    this.name = 'StepFailure';
  }
}

/** The case cannot be judged against this target (e.g. its files are not visible): SKIPPED. */
export class CaseSkip extends Error {
  readonly code = 'INSTANET_ERR_CASE_SKIPPED';
  constructor(message: string) {
    super(message);
    this.name = 'CaseSkip';
  }
}
