import { z } from 'zod';

// What the server keeps under data/ (DATA-1). Records are passthrough objects: an existing course
// data folder is read as it is (DATA-5), including keys a student's server added, and rewriting a
// record keeps those keys. Timestamps are plain strings here because the starter stores whatever
// the client sent.

export const UserRecord = z
  .object({
    password: z.string().describe('plain text, as the course stores it'),
    friends: z.array(z.string()),
    requests: z.array(z.string()).describe('usernames with a pending friend request to this user (FRQ-1)'),
  })
  .passthrough()
  .describe('One user in data/users/users.json (DATA-1).');
export type UserRecord = z.infer<typeof UserRecord>;

export const UsersFile = z
  .record(z.string(), UserRecord)
  .describe('data/users/users.json: username -> record, in file order (USER-1, DATA-1).');
export type UsersFile = z.infer<typeof UsersFile>;

export const CommentEntry = z
  .object({ user: z.string(), text: z.string() })
  .passthrough()
  .describe("One comment in a post's comments list (POST-4).");
export type CommentEntry = z.infer<typeof CommentEntry>;

export const PostEntry = z
  .object({
    username: z.string(),
    image_path: z.string().describe("e.g. 'data/images/user1_2025-05-13 21-52-29.jpg' (DATA-1)"),
    caption: z.string(),
    timestamp: z.string().describe("'%Y-%m-%d %H:%M:%S' as the client sent it"),
    comments: z.array(CommentEntry).optional().describe('present once a comment was added (POST-4)'),
  })
  .passthrough()
  .describe('One post in data/posts/posts.json (POST-2).');
export type PostEntry = z.infer<typeof PostEntry>;

export const PostsFile = z.array(PostEntry).describe('data/posts/posts.json: every post, oldest first (POST-2, DATA-1).');
export type PostsFile = z.infer<typeof PostsFile>;

export const MessageEntry = z
  .object({
    sender: z.string(),
    receiver: z.string(),
    message: z.string().describe('the text, exactly as sent (DM-3); "Image" for an image DM (DM-5)'),
    timestamp: z.string().describe('ISO 8601 as the client sent it'),
    is_image: z.boolean(),
    image_path: z.string().optional().describe('only for image DMs: data/images/<sender>_<receiver>_<timestamp>.jpg (DM-5)'),
  })
  .passthrough()
  .describe('One direct message in a conversation file (DM-1, DM-2).');
export type MessageEntry = z.infer<typeof MessageEntry>;

export const ConversationFile = z
  .array(MessageEntry)
  .describe('data/messages/<a>_<b>.json, names sorted: the messages of one conversation in order (DM-2, DATA-1).');
export type ConversationFile = z.infer<typeof ConversationFile>;
