import { appendFileSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

// Command history kept across sessions, one command per line, oldest first (like ~/.bash_history).

export const DEFAULT_HISTORY_FILE = path.join(homedir(), '.instanet_client_history');
const KEEP = 1000;

/** Most recent first, as readline wants it; [] when the file is missing or unreadable. */
export function loadHistory(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-KEEP).reverse();
  } catch {
    return [];
  }
}

export function appendHistory(file: string, line: string): void {
  try {
    appendFileSync(file, `${line.replaceAll('\n', ' ')}\n`, { mode: 0o600 });
  } catch {
    // History is a convenience: an unwritable file must not break the shell.
  }
}
