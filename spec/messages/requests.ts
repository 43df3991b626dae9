import { z } from 'zod';
import type { Action } from './actions.ts';
import { DmTimestamp, PostTimestamp } from './timestamps.ts';

// Requests, field for field (and in the same key order) as the course client sends them.
// Requests are passthrough objects: a benign client that adds a key of its own still gets served,
// and the extra keys survive parsing so a transcript or a strict check can still see them.
// Types are checked (ERR-2); the actions' own failures (unknown user, wrong password) are replies,
// not schema errors, so strings are not constrained beyond their type except the timestamps, which
// become part of file names (SEC-1).

function request<A extends Action, S extends z.ZodRawShape>(action: A, shape: S, description: string) {
  return z
    .object({ action: z.literal(action), ...shape })
    .passthrough()
    .describe(description);
}

export const LoginRequest = request(
  'login',
  { username: z.string(), password: z.string() },
  'login: check a username and password (AUTH-1, AUTH-2); the server lower-cases the username first (AUTH-3).',
);
export type LoginRequest = z.infer<typeof LoginRequest>;

export const UploadPostRequest = request(
  'upload_post',
  { username: z.string(), caption: z.string(), timestamp: PostTimestamp },
  'upload_post: followed by the image exchange (IMG-1..IMG-5); stores a post (POST-1, POST-2, POST-5).',
);
export type UploadPostRequest = z.infer<typeof UploadPostRequest>;

export const GetFeedRequest = request('get_feed', {}, 'get_feed: every stored post with its image as base64 (POST-3).');
export type GetFeedRequest = z.infer<typeof GetFeedRequest>;

export const SendFriendRequestRequest = request(
  'send_friend_request',
  { sender: z.string(), receiver: z.string() },
  "send_friend_request: add sender to the receiver's requests (FRQ-1, FRQ-4, FRQ-6).",
);
export type SendFriendRequestRequest = z.infer<typeof SendFriendRequestRequest>;

export const AcceptFriendRequestRequest = request(
  'accept_friend_request',
  { user: z.string().describe('the user who received the request'), friend: z.string().describe('the user who sent it') },
  'accept_friend_request: turn a pending request into a friendship (FRQ-2, FRQ-5).',
);
export type AcceptFriendRequestRequest = z.infer<typeof AcceptFriendRequestRequest>;

export const RejectFriendRequestRequest = request(
  'reject_friend_request',
  { user: z.string().describe('the user who received the request'), friend: z.string().describe('the user who sent it') },
  'reject_friend_request: drop a pending request (FRQ-3, FRQ-5).',
);
export type RejectFriendRequestRequest = z.infer<typeof RejectFriendRequestRequest>;

export const SendMessageRequest = request(
  'send_message',
  {
    sender: z.string(),
    receiver: z.string(),
    message: z.string().describe('the text; "Image" when is_image is true (DM-5)'),
    timestamp: DmTimestamp,
    is_image: z.boolean().describe('true: the image exchange follows (DM-5, IMG-1)'),
  },
  'send_message: store a direct message (DM-1, DM-3, DM-4); with is_image the image exchange follows (DM-5).',
);
export type SendMessageRequest = z.infer<typeof SendMessageRequest>;

export const GetMessagesRequest = request(
  'get_messages',
  { user1: z.string(), user2: z.string() },
  'get_messages: the conversation between two users, both directions, in order (DM-2, DM-6).',
);
export type GetMessagesRequest = z.infer<typeof GetMessagesRequest>;

export const GetUserDataRequest = request(
  'get_user_data',
  { username: z.string() },
  "get_user_data: a user's friends and pending requests (USER-2, AUTH-6).",
);
export type GetUserDataRequest = z.infer<typeof GetUserDataRequest>;

export const GetAllUsersRequest = request('get_all_users', {}, 'get_all_users: every username in file order (USER-1).');
export type GetAllUsersRequest = z.infer<typeof GetAllUsersRequest>;

export const AddCommentRequest = request(
  'add_comment',
  {
    post_image_path: z.string().describe("the post's image_path, which identifies the post"),
    user: z.string(),
    text: z.string(),
  },
  "add_comment: append {user, text} to the post's comments (POST-4).",
);
export type AddCommentRequest = z.infer<typeof AddCommentRequest>;

export const AnyRequest = z
  .discriminatedUnion('action', [
    LoginRequest,
    UploadPostRequest,
    GetFeedRequest,
    SendFriendRequestRequest,
    AcceptFriendRequestRequest,
    RejectFriendRequestRequest,
    SendMessageRequest,
    GetMessagesRequest,
    GetUserDataRequest,
    GetAllUsersRequest,
    AddCommentRequest,
  ])
  .describe('Any InstaNet request, told apart by "action"; any other action is answered "Invalid action" (ERR-1).');
export type AnyRequest = z.infer<typeof AnyRequest>;

export const REQUEST_SCHEMAS = {
  login: LoginRequest,
  upload_post: UploadPostRequest,
  get_feed: GetFeedRequest,
  send_friend_request: SendFriendRequestRequest,
  accept_friend_request: AcceptFriendRequestRequest,
  reject_friend_request: RejectFriendRequestRequest,
  send_message: SendMessageRequest,
  get_messages: GetMessagesRequest,
  get_user_data: GetUserDataRequest,
  get_all_users: GetAllUsersRequest,
  add_comment: AddCommentRequest,
} as const satisfies Record<Action, z.ZodTypeAny>;

/** Request type of one action. */
export type RequestOf<A extends Action> = z.infer<(typeof REQUEST_SCHEMAS)[A]>;

/**
 * Whether the request is followed by the image exchange (IMG-1, DM-5, POST-1). Takes any decoded
 * value, not only a validated request, because the recorder and the violation checker must follow
 * the exchange on bytes that may not pass the schema.
 */
export function carriesImage(request: unknown): boolean {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return false;
  const fields = request as Record<string, unknown>;
  return fields.action === 'upload_post' || (fields.action === 'send_message' && fields.is_image === true);
}
