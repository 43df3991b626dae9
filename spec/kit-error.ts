// The one base of every error the kit raises, in every layer (spec, reference, harness): a stable
// `code` ('INSTANET_ERR_...') that scripts, CI and the CLI's exit codes branch on, never on wording,
// and the class's own name as `name`, so a stack or `String(error)` says which one it is. It lives
// in spec/ because every layer may import spec/ and spec/ imports nothing of ours.

export abstract class KitError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
