import type { FailureKind } from './report-format.ts';
import type { Mismatch } from './matchers.ts';
import { InstaNetError } from '../errors.ts';

/** A check that did not hold: the server's fault, turned into FAILED/NON-STRICT/INFORMATIONAL. */
export class StepFailure extends InstaNetError<'INSTANET_ERR_CHECK_FAILED'> {
  constructor(
    readonly kind: FailureKind,
    readonly expected: string,
    readonly actual: string,
    readonly mismatches: Mismatch[] = [],
    /** A timeout measured in the server's own time (harness/process/own-time.ts), not by the wall clock. */
    readonly ownTime = false,
  ) {
    super('INSTANET_ERR_CHECK_FAILED', `${kind}: expected ${expected}; got ${actual}`);
  }
}

/** The case cannot be judged against this target (e.g. its files are not visible): SKIPPED. */
export class CaseSkip extends InstaNetError<'INSTANET_ERR_CASE_SKIPPED'> {
  constructor(message: string) {
    super('INSTANET_ERR_CASE_SKIPPED', message);
  }
}
