/** A mistake on the command line (exit 2); `hint` says what to type instead. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'INSTANET_ERR_USAGE';
  constructor(
    message: string,
    readonly hint = 'run `instanet client --help` for usage',
  ) {
    super(message);
  }
}
