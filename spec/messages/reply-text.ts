import type { Action } from './actions.ts';

// The exact strings the course's server puts in "message". Graders compare them byte for byte,
// so they live in one place and every schema, server and check reads them from here.
export const REPLY_TEXT = {
  loginOk: 'Login successful',
  invalidCredentials: 'Invalid credentials',
  postUploaded: 'Post uploaded successfully',
  failedToSaveImage: 'Failed to save image',
  friendRequestSent: 'Friend request sent',
  friendRequestAccepted: 'Friend request accepted',
  friendRequestRejected: 'Friend request rejected',
  invalidRequest: 'Invalid request',
  messageSent: 'Message sent',
  userNotFound: 'User not found',
  noPostsFound: 'No posts found',
  postNotFound: 'Post not found',
  invalidAction: 'Invalid action',
  /** The "message" text stored for an image DM (DM-5). */
  imageMessageText: 'Image',
} as const;

export type ReplyTextKey = keyof typeof REPLY_TEXT;

/**
 * The error messages the course's server is known to send per action. Not exhaustive: the starter
 * also sends Python exception text for some failures, and strict servers add their own (ERR-2), so
 * an ErrorReply's message is any string; these are the ones a check may expect exactly.
 */
export const KNOWN_ERROR_MESSAGES: Readonly<Record<Action, readonly string[]>> = {
  login: [REPLY_TEXT.invalidCredentials],
  upload_post: [REPLY_TEXT.failedToSaveImage],
  get_feed: [],
  send_friend_request: [REPLY_TEXT.invalidRequest],
  accept_friend_request: [REPLY_TEXT.invalidRequest],
  reject_friend_request: [REPLY_TEXT.invalidRequest],
  send_message: [REPLY_TEXT.failedToSaveImage],
  get_messages: [],
  get_user_data: [REPLY_TEXT.userNotFound],
  get_all_users: [],
  add_comment: [REPLY_TEXT.noPostsFound, REPLY_TEXT.postNotFound],
};
