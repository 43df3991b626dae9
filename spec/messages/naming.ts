// File names the course's server derives from request fields (DATA-1). A server that names files
// differently breaks the course client, which opens data/ files from its own disk.

/** Paths relative to the server's working directory (DATA-1). */
export const DATA_LAYOUT = {
  usersFile: 'data/users/users.json',
  postsFile: 'data/posts/posts.json',
  messagesDir: 'data/messages',
  imagesDir: 'data/images',
} as const;

/**
 * Python compares str by code point; JS '<' compares UTF-16 code units, which disagree for
 * characters above U+FFFF against U+E000..U+FFFF. Iterating a string yields code points.
 */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0) as number;
    const cy = y.value.codePointAt(0) as number;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** '<a>_<b>.json' with the two names in Python's sorted() order (DATA-1). */
export function conversationFileName(a: string, b: string): string {
  const [first, second] = compareCodePoints(a, b) <= 0 ? [a, b] : [b, a];
  return `${first}_${second}.json`;
}

/** The conversation file's path relative to the server's working directory. */
export function conversationFilePath(a: string, b: string): string {
  return `${DATA_LAYOUT.messagesDir}/${conversationFileName(a, b)}`;
}

const colonsToDashes = (timestamp: string) => timestamp.replaceAll(':', '-');

/** '<user>_<timestamp with ":" replaced by "-">.jpg', whatever the image format is. */
export function postImageName(user: string, timestamp: string): string {
  return `${user}_${colonsToDashes(timestamp)}.jpg`;
}

/** '<sender>_<receiver>_<timestamp with ":" replaced by "-">.jpg'. */
export function dmImageName(sender: string, receiver: string, timestamp: string): string {
  return `${sender}_${receiver}_${colonsToDashes(timestamp)}.jpg`;
}

/** The image_path the course's server stores for a post: 'data/images/<postImageName>'. */
export function postImagePath(user: string, timestamp: string): string {
  return `${DATA_LAYOUT.imagesDir}/${postImageName(user, timestamp)}`;
}

/** The image_path the course's server stores for an image DM. */
export function dmImagePath(sender: string, receiver: string, timestamp: string): string {
  return `${DATA_LAYOUT.imagesDir}/${dmImageName(sender, receiver, timestamp)}`;
}

/**
 * SEC-1: whether a request field may become part of a file name. Refuses the empty string, '..'
 * anywhere, both path separators, NUL, and absolute paths (POSIX '/x', Windows 'C:' drive forms).
 */
export function isSafePathComponent(name: string): boolean {
  if (name.length === 0) return false;
  if (name.includes('..')) return false;
  if (name.includes('/') || name.includes('\\')) return false;
  if (name.includes('\0')) return false;
  if (/^[A-Za-z]:/.test(name)) return false;
  return true;
}
