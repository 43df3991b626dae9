import { InstaNetError } from '../errors.ts';

/** --sandbox asked for something this machine cannot provide (no bwrap, no user namespaces, no engine). */
export class SandboxUnavailableError extends InstaNetError<'INSTANET_ERR_SANDBOX_UNAVAILABLE'> {
  constructor(message: string) {
    super('INSTANET_ERR_SANDBOX_UNAVAILABLE', message);
  }
}

/**
 * A sandbox ended before its launcher ran the student's command (bwrap's own error, the launcher's):
 * the kit's failure on this machine, never the student's crash. A hand-in it hits is `kit-error`.
 */
export class SandboxFailedError extends InstaNetError<'INSTANET_ERR_SANDBOX_FAILED'> {
  constructor(message: string) {
    super('INSTANET_ERR_SANDBOX_FAILED', message);
  }
}
