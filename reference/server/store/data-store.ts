import { access, mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { DATA_LAYOUT, conversationFileName } from '../../../spec/messages/index.ts';
import { DirectorySyncer, isTempFileName, writeFileAtomic } from './atomic-write.ts';
import { JsonFile } from './json-file.ts';
import {
  checkListDocument,
  checkUsersDocument,
  copyList,
  copyUsers,
  type ConversationDocument,
  type PostsDocument,
  type UsersDocument,
} from './documents.ts';
import { seedUsers } from '../seed-users.ts';
import { encodeDataFile } from './data-file-encoding.ts';
import { createListEncoder } from './list-encoder.ts';

export { encodeDataFile } from './data-file-encoding.ts';

// The course's paths are relative to the server's working directory and start with 'data/'; the
// stored image_path keeps that form whatever folder we were given, because the course client
// opens it from its own working directory.
const DATA_PREFIX = 'data/';
const SUBDIRS = ['users', 'posts', 'messages', 'images'] as const;
/** Conversation files kept open (cache only; a file being written is never evicted). */
const MAX_OPEN_CONVERSATIONS = 512;

export interface InitResult {
  seeded: boolean;
  createdPosts: boolean;
  removedTempFiles: number;
}

export class DataStore {
  readonly dataDir: string;
  readonly users: JsonFile<UsersDocument>;
  readonly posts: JsonFile<PostsDocument>;
  private readonly conversations = new Map<string, JsonFile<ConversationDocument>>();
  private readonly reservedImages = new Set<string>();
  private readonly syncers = new Map<string, DirectorySyncer>();
  private closed = false;

  constructor(dataDir: string) {
    this.dataDir = resolve(dataDir);
    this.users = new JsonFile<UsersDocument>({
      path: this.resolveLayout(DATA_LAYOUT.usersFile),
      label: DATA_LAYOUT.usersFile,
      empty: () => ({}),
      copy: copyUsers,
      check: checkUsersDocument,
      encode: encodeDataFile,
      syncDirectory: this.syncDirectory,
    });
    this.posts = new JsonFile<PostsDocument>({
      path: this.resolveLayout(DATA_LAYOUT.postsFile),
      label: DATA_LAYOUT.postsFile,
      empty: () => [],
      copy: copyList,
      check: checkListDocument,
      encode: createListEncoder(),
      syncDirectory: this.syncDirectory,
    });
  }

  /**
   * Prepares the folder: the four subfolders, users.json seeded only when it is missing (an existing
   * course folder is used as it is, DATA-5), an empty posts.json (the course client's home page
   * fails without one), and no temporary files left by a killed run.
   */
  async init(seedCount: number): Promise<InitResult> {
    for (const sub of SUBDIRS) await mkdir(join(this.dataDir, sub), { recursive: true });
    let removedTempFiles = 0;
    for (const sub of SUBDIRS) {
      for (const name of await readdir(join(this.dataDir, sub))) {
        if (!isTempFileName(name)) continue;
        await unlink(join(this.dataDir, sub, name)).catch(() => undefined);
        removedTempFiles += 1;
      }
    }
    const seeded = !(await this.users.exists());
    if (seeded) {
      const seed = seedUsers(seedCount);
      await this.users.update((draft) => {
        Object.assign(draft, seed);
        return { changed: true, result: undefined };
      });
    }
    const createdPosts = !(await this.posts.exists());
    if (createdPosts) await this.posts.update(() => ({ changed: true, result: undefined }));
    return { seeded, createdPosts, removedTempFiles };
  }

  /** The conversation file of two users, whose names the caller has checked (SEC-1). */
  conversation(a: string, b: string): JsonFile<ConversationDocument> {
    const name = conversationFileName(a, b);
    let file = this.conversations.get(name);
    if (file) {
      // Refresh its place in the map's insertion order: the map doubles as an LRU list.
      this.conversations.delete(name);
      this.conversations.set(name, file);
      return file;
    }
    file = new JsonFile<ConversationDocument>({
      path: join(this.dataDir, 'messages', name),
      label: `${DATA_LAYOUT.messagesDir}/${name}`,
      empty: () => [],
      copy: copyList,
      check: checkListDocument,
      encode: createListEncoder(),
      syncDirectory: this.syncDirectory,
    });
    if (this.closed) file.close();
    this.conversations.set(name, file);
    this.evictConversations();
    return file;
  }

  /**
   * Stores image bytes durably under data/images and returns the image_path to record. The course
   * overwrites an image whose name is taken (two posts in the same second share one file); we keep
   * both by adding '_2', '_3', ... before '.jpg', so nothing is lost.
   */
  async saveImage(fileName: string, bytes: Buffer): Promise<string> {
    const name = await this.reserveImageName(fileName);
    try {
      await writeFileAtomic(join(this.dataDir, 'images', name), bytes, { syncDirectory: this.syncDirectory });
    } finally {
      this.reservedImages.delete(name);
    }
    return `${DATA_LAYOUT.imagesDir}/${name}`;
  }

  /** The bytes of a stored image_path, or undefined when it is missing or points outside the data folder. */
  async readImage(imagePath: string): Promise<Buffer | undefined> {
    const file = this.resolveStoredPath(imagePath);
    if (file === undefined) return undefined;
    try {
      return await readFile(file);
    } catch {
      return undefined;
    }
  }

  /** Maps a stored 'data/...' path (either separator) to a file inside the data folder, or undefined. */
  resolveStoredPath(storedPath: string): string | undefined {
    const normalized = storedPath.replaceAll('\\', '/');
    if (!normalized.startsWith(DATA_PREFIX)) return undefined;
    const file = resolve(this.dataDir, normalized.slice(DATA_PREFIX.length));
    const rel = relative(this.dataDir, file);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
    return file;
  }

  /** Stops accepting writes and waits for every accepted one to be durable. */
  async close(): Promise<void> {
    this.closed = true;
    const files = [this.users, this.posts, ...this.conversations.values()];
    for (const file of files) file.close();
    await Promise.all(files.map((file) => file.idle()));
  }

  /** One shared directory fsync per folder: concurrent writes in data/messages share them. */
  private readonly syncDirectory = (directory: string): Promise<void> => {
    let syncer = this.syncers.get(directory);
    if (!syncer) {
      syncer = new DirectorySyncer(directory);
      this.syncers.set(directory, syncer);
    }
    return syncer.sync();
  };

  private resolveLayout(layoutPath: string): string {
    return join(this.dataDir, layoutPath.slice(DATA_PREFIX.length));
  }

  private async reserveImageName(fileName: string): Promise<string> {
    const stem = fileName.endsWith('.jpg') ? fileName.slice(0, -'.jpg'.length) : fileName;
    for (let n = 1; ; n += 1) {
      const candidate = n === 1 ? fileName : `${stem}_${n}.jpg`;
      if (this.reservedImages.has(candidate)) continue;
      this.reservedImages.add(candidate);
      if (!(await fileExists(join(this.dataDir, 'images', candidate)))) return candidate;
      this.reservedImages.delete(candidate);
    }
  }

  private evictConversations(): void {
    if (this.conversations.size <= MAX_OPEN_CONVERSATIONS) return;
    for (const [name, file] of this.conversations) {
      if (this.conversations.size <= MAX_OPEN_CONVERSATIONS) break;
      if (!file.busy) this.conversations.delete(name);
    }
  }
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
