import { KitError } from '../../spec/kit-error.ts';

// Errors the reference server raises internally. Each carries a stable code so logs and tests can
// tell them apart; `replyMessage` is the text a client sees in {"status": "error", "message": ...}.

export class ServerError extends KitError {
  readonly code: string;
  readonly replyMessage: string;
  constructor(code: string, message: string, replyMessage: string = message, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.replyMessage = replyMessage;
  }
}

/** A data file exists but does not hold the JSON the course layout promises. */
export class CorruptDataFileError extends ServerError {
  readonly file: string;
  constructor(file: string, detail: string, options?: ErrorOptions) {
    super('INSTANET_ERR_CORRUPT_DATA_FILE', `${file}: ${detail}`, `Server data file is unreadable: ${file}`, options);
    this.file = file;
  }
}

/** Writing to the data folder failed (disk full, permissions): nothing was acknowledged. */
export class StorageError extends ServerError {
  constructor(file: string, options?: ErrorOptions) {
    const cause = options?.cause instanceof Error ? options.cause.message : 'unknown error';
    super('INSTANET_ERR_STORAGE', `could not write ${file}: ${cause}`, 'Server could not save the change', options);
  }
}

/** The server is shutting down; the store accepts no new writes. */
export class ShuttingDownError extends ServerError {
  constructor() {
    super('INSTANET_ERR_SHUTTING_DOWN', 'server is shutting down', 'Server is shutting down');
  }
}

/** startServer could not bind or prepare its data folder. */
export class StartupError extends ServerError {
  constructor(message: string, options?: ErrorOptions) {
    super('INSTANET_ERR_SERVER_STARTUP', message, message, options);
  }
}
