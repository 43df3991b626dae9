import { z } from 'zod';
import type { Action } from './actions.ts';
import { REPLY_TEXT } from './reply-text.ts';
import { MessageEntry, PostEntry } from './records.ts';

// Replies are strict objects with the exact strings of the course's server: a reply with an extra
// key or a different message is a deviation a check should see. Zod reports extra keys as issues
// with code 'unrecognized_keys', so a lenient check can tell them apart from real errors (and
// spec's NON-STRICT verdicts rest on that). Feed posts and message entries are copies of stored
// records and follow the records' passthrough rule.

export const ErrorReply = z
  .object({ status: z.literal('error'), message: z.string().describe('why; exact strings in REPLY_TEXT (ERR-3)') })
  .strict()
  .describe('Any failure: {"status": "error", "message": ...} (ERR-1, ERR-2, ERR-3).');
export type ErrorReply = z.infer<typeof ErrorReply>;

/** The minimum every reply satisfies (ERR-3): a status, and a message when it is an error. */
export const ReplyEnvelope = z
  .union([
    z.object({ status: z.literal('success') }).passthrough(),
    z.object({ status: z.literal('error'), message: z.string() }).passthrough(),
  ])
  .describe('Every reply carries "status"; every error reply carries a "message" string (ERR-3).');
export type ReplyEnvelope = z.infer<typeof ReplyEnvelope>;

function messageReply<T extends string>(text: T, description: string) {
  return z
    .object({ status: z.literal('success'), message: z.literal(text) })
    .strict()
    .describe(description);
}

export const LoginReply = messageReply(REPLY_TEXT.loginOk, 'login succeeded (AUTH-1).');
export type LoginReply = z.infer<typeof LoginReply>;

export const UploadPostReply = messageReply(REPLY_TEXT.postUploaded, 'upload_post succeeded, after the image acknowledgement (POST-1, IMG-4).');
export type UploadPostReply = z.infer<typeof UploadPostReply>;

export const FeedPost = PostEntry.extend({
  image_data: z
    .string()
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64')
    .describe('the image file, base64 (standard alphabet, padded)'),
})
  .passthrough()
  .describe('A stored post plus its image as base64 (POST-3).');
export type FeedPost = z.infer<typeof FeedPost>;

export const GetFeedReply = z
  .object({ status: z.literal('success'), posts: z.array(FeedPost) })
  .strict()
  .describe('get_feed: every stored post (POST-3).');
export type GetFeedReply = z.infer<typeof GetFeedReply>;

export const SendFriendRequestReply = messageReply(REPLY_TEXT.friendRequestSent, 'send_friend_request succeeded (FRQ-1).');
export type SendFriendRequestReply = z.infer<typeof SendFriendRequestReply>;

export const AcceptFriendRequestReply = messageReply(REPLY_TEXT.friendRequestAccepted, 'accept_friend_request succeeded (FRQ-2).');
export type AcceptFriendRequestReply = z.infer<typeof AcceptFriendRequestReply>;

export const RejectFriendRequestReply = messageReply(REPLY_TEXT.friendRequestRejected, 'reject_friend_request succeeded (FRQ-3).');
export type RejectFriendRequestReply = z.infer<typeof RejectFriendRequestReply>;

export const SendMessageReply = messageReply(REPLY_TEXT.messageSent, 'send_message succeeded (DM-1, DM-5).');
export type SendMessageReply = z.infer<typeof SendMessageReply>;

export const GetMessagesReply = z
  .object({ status: z.literal('success'), messages: z.array(MessageEntry) })
  .strict()
  .describe('get_messages: the conversation in order, [] when there is none (DM-2, DM-6).');
export type GetMessagesReply = z.infer<typeof GetMessagesReply>;

export const UserData = z
  .object({
    password: z.string().optional().describe('the course starter discloses it; a strict server leaves it out (AUTH-6)'),
    friends: z.array(z.string()),
    requests: z.array(z.string()),
  })
  .strict()
  .describe("A user's data as get_user_data returns it (USER-2).");
export type UserData = z.infer<typeof UserData>;

export const GetUserDataReply = z
  .object({ status: z.literal('success'), user_data: UserData })
  .strict()
  .describe('get_user_data succeeded (USER-2).');
export type GetUserDataReply = z.infer<typeof GetUserDataReply>;

export const GetAllUsersReply = z
  .object({ status: z.literal('success'), users: z.array(z.string()) })
  .strict()
  .describe('get_all_users: every username, in file order (USER-1).');
export type GetAllUsersReply = z.infer<typeof GetAllUsersReply>;

export const AddCommentReply = z
  .object({ status: z.literal('success') })
  .strict()
  .describe('add_comment succeeded: status only, no message (POST-4).');
export type AddCommentReply = z.infer<typeof AddCommentReply>;

export const SUCCESS_REPLY_SCHEMAS = {
  login: LoginReply,
  upload_post: UploadPostReply,
  get_feed: GetFeedReply,
  send_friend_request: SendFriendRequestReply,
  accept_friend_request: AcceptFriendRequestReply,
  reject_friend_request: RejectFriendRequestReply,
  send_message: SendMessageReply,
  get_messages: GetMessagesReply,
  get_user_data: GetUserDataReply,
  get_all_users: GetAllUsersReply,
  add_comment: AddCommentReply,
} as const satisfies Record<Action, z.ZodTypeAny>;

/**
 * The requirement each action's final reply demonstrates (spec/requirements.ts): the ID a wrong
 * reply breaks. One table for every checker, so the client, the transcript checker and the
 * harness cite the same ID for the same fault.
 */
export const REPLY_REQUIREMENT: Readonly<Record<Action, string>> = {
  login: 'AUTH-1',
  upload_post: 'POST-1',
  get_feed: 'POST-3',
  send_friend_request: 'FRQ-1',
  accept_friend_request: 'FRQ-2',
  reject_friend_request: 'FRQ-3',
  send_message: 'DM-1',
  get_messages: 'DM-2',
  get_user_data: 'USER-2',
  get_all_users: 'USER-1',
  add_comment: 'POST-4',
};

export type SuccessReplyOf<A extends Action> = z.infer<(typeof SUCCESS_REPLY_SCHEMAS)[A]>;
export type ReplyOf<A extends Action> = SuccessReplyOf<A> | ErrorReply;

// Built once: callers validate every reply of a run, and a union per call would be waste.
const replySchemas = new Map<Action, z.ZodType<unknown>>();

/** The final reply of an action: its success reply or an ErrorReply. */
export function replySchema<A extends Action>(action: A): z.ZodType<ReplyOf<A>> {
  let schema = replySchemas.get(action);
  if (!schema) {
    schema = z
      .union([SUCCESS_REPLY_SCHEMAS[action], ErrorReply])
      .describe(`The final reply of ${action}: success or error (ERR-3).`);
    replySchemas.set(action, schema);
  }
  return schema as z.ZodType<ReplyOf<A>>;
}
