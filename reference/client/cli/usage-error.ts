import { KitError } from '../../../spec/kit-error.ts';
/** A mistake on the command line (exit 2); `hint` says what to type instead. */
export class ClientUsageError extends KitError {
  readonly code = 'INSTANET_ERR_USAGE';
  constructor(
    message: string,
    readonly hint = 'run `instanet client --help` for usage',
  ) {
    super(message);
  }
}
