import { InstaNetError } from '../errors.ts';

// A submission's folder is written by code we do not trust. When what we find there is not a plain
// file inside that folder, the report must say so in words a student recognises as their own doing,
// and scripts must be able to tell it from a kit failure: hence one class, a stable code per cause.

export type UntrustedFileCode =
  | 'INSTANET_ERR_UNTRUSTED_MISSING'
  | 'INSTANET_ERR_UNTRUSTED_SYMLINK'
  | 'INSTANET_ERR_UNTRUSTED_NOT_REGULAR'
  | 'INSTANET_ERR_UNTRUSTED_TOO_LARGE'
  | 'INSTANET_ERR_UNTRUSTED_OUTSIDE'
  | 'INSTANET_ERR_UNTRUSTED_TIMEOUT'
  | 'INSTANET_ERR_UNTRUSTED_UNREADABLE';

export class UntrustedFileError extends InstaNetError<UntrustedFileCode> {
  /** The path as the student knows it: relative to the submission's folder. */
  readonly file: string;
  constructor(code: UntrustedFileCode, file: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.file = file;
  }
}

// The messages name the file relative to the submission's folder and never quote what a link points
// to: the target's name can itself be a secret (another student's folder).
export const untrusted = {
  missing: (file: string) => new UntrustedFileError('INSTANET_ERR_UNTRUSTED_MISSING', file, `${file} does not exist`),
  symlink: (file: string) =>
    new UntrustedFileError(
      'INSTANET_ERR_UNTRUSTED_SYMLINK',
      file,
      `${file} is a symbolic link (made by the submission); the kit does not follow links in a submission's folder`,
    ),
  notRegular: (file: string, kind: string) =>
    new UntrustedFileError(
      'INSTANET_ERR_UNTRUSTED_NOT_REGULAR',
      file,
      `${file} is a ${kind}, not a regular file (made by the submission); the kit reads only plain files from a submission's folder`,
    ),
  notFolder: (file: string, kind: string) =>
    new UntrustedFileError(
      'INSTANET_ERR_UNTRUSTED_NOT_REGULAR',
      file,
      `${file} is a ${kind}, not a folder (made by the submission); the kit expected a plain folder there`,
    ),
  tooLarge: (file: string, maxBytes: number) =>
    new UntrustedFileError(
      'INSTANET_ERR_UNTRUSTED_TOO_LARGE',
      file,
      `${file} holds more than ${maxBytes} bytes (written by the submission); the kit reads at most that much of it`,
    ),
  outside: (file: string) =>
    new UntrustedFileError(
      'INSTANET_ERR_UNTRUSTED_OUTSIDE',
      file,
      `${file} lies outside the submission's folder; the kit reads nothing beyond that folder`,
    ),
  timeout: (file: string, ms: number) =>
    new UntrustedFileError('INSTANET_ERR_UNTRUSTED_TIMEOUT', file, `reading ${file} took longer than ${ms} ms; the kit gave up on it`),
  unreadable: (file: string, cause: unknown) =>
    new UntrustedFileError(
      'INSTANET_ERR_UNTRUSTED_UNREADABLE',
      file,
      `${file} cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'}); the submission left it unreadable`,
      { cause },
    ),
};
