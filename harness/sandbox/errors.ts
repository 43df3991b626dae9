import { InstaNetError } from '../errors.ts';

/** --sandbox asked for something this machine cannot provide (no bwrap, no user namespaces, no engine). */
export class SandboxUnavailableError extends InstaNetError<'INSTANET_ERR_SANDBOX_UNAVAILABLE'> {
  constructor(message: string) {
    super('INSTANET_ERR_SANDBOX_UNAVAILABLE', message);
  }
}
