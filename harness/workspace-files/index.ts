// Reading what a submission wrote, safely: the only door from the host into a student's folder.
export { UntrustedFileError, type UntrustedFileCode } from './errors.ts';
export { readUntrustedFile, readUntrustedText, type UntrustedReadOptions } from './read-untrusted.ts';
export { listUntrustedDir, untrustedEntryExists, type UntrustedEntry, type UntrustedEntryKind } from './list-untrusted.ts';
export { isPlainEntry } from './plain-entry.ts';
