import type { Action } from '../../../spec/messages/index.ts';
import { acceptFriendRequest } from './accept-friend-request.ts';
import { addComment } from './add-comment.ts';
import type { ActionHandler } from './context.ts';
import { getAllUsers } from './get-all-users.ts';
import { getFeed } from './get-feed.ts';
import { getMessages } from './get-messages.ts';
import { getUserData } from './get-user-data.ts';
import { login } from './login.ts';
import { rejectFriendRequest } from './reject-friend-request.ts';
import { sendFriendRequest } from './send-friend-request.ts';
import { sendMessage } from './send-message.ts';
import { uploadPost } from './upload-post.ts';

export type { ActionContext, ActionHandler, Reply } from './context.ts';

export const ACTION_HANDLERS: { readonly [A in Action]: ActionHandler<A> } = {
  login,
  upload_post: uploadPost,
  get_feed: getFeed,
  send_friend_request: sendFriendRequest,
  accept_friend_request: acceptFriendRequest,
  reject_friend_request: rejectFriendRequest,
  send_message: sendMessage,
  get_messages: getMessages,
  get_user_data: getUserData,
  get_all_users: getAllUsers,
  add_comment: addComment,
};
