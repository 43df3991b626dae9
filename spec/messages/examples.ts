import type { ZodTypeAny } from 'zod';
import { ReadyAck, ImageErrorAck, ImageSuccessAck } from './acks.ts';
import { ConversationFile, PostsFile, UsersFile } from './records.ts';
import {
  AddCommentReply,
  ErrorReply,
  FeedPost,
  GetAllUsersReply,
  GetFeedReply,
  GetMessagesReply,
  GetUserDataReply,
  LoginReply,
  ReplyEnvelope,
  SendMessageReply,
  UploadPostReply,
  AcceptFriendRequestReply,
  RejectFriendRequestReply,
  SendFriendRequestReply,
} from './replies.ts';
import {
  AcceptFriendRequestRequest,
  AddCommentRequest,
  AnyRequest,
  GetAllUsersRequest,
  GetFeedRequest,
  GetMessagesRequest,
  GetUserDataRequest,
  LoginRequest,
  RejectFriendRequestRequest,
  SendFriendRequestRequest,
  SendMessageRequest,
  UploadPostRequest,
} from './requests.ts';

// Test vectors shared by the Zod tests (spec/) and the JSON Schema tests (harness/tools/): the same
// bytes must be accepted or refused by both, so the generated schemas cannot drift in meaning from
// the Zod definitions. `schema` is the registry name of the generated file (schemas/<schema>.schema.json).

export interface ValidExample {
  readonly schema: string;
  readonly zod: ZodTypeAny;
  /** The exact bytes, as the course's code writes them (field notes). */
  readonly bytes: string;
}

export interface InvalidExample {
  readonly schema: string;
  readonly zod: ZodTypeAny;
  readonly value: unknown;
  readonly why: string;
  /** Path of the expected Zod issue, '/'-joined ('' = the object itself). */
  readonly zodPath: string;
  /** Expected ajv error, formatted '<instancePath or (root)> <message>'; matched as a prefix. */
  readonly ajvError: string;
}

const v = (schema: string, zod: ZodTypeAny, bytes: string): ValidExample => ({ schema, zod, bytes });

export const VALID_EXAMPLES: readonly ValidExample[] = [
  // Requests exactly as the course client sends them.
  v('login-request', LoginRequest, '{"action": "login", "username": "user1", "password": "123"}'),
  v('upload-post-request', UploadPostRequest, '{"action": "upload_post", "username": "user1", "caption": "Hello", "timestamp": "2025-05-13 21:52:29"}'),
  v('upload-post-request', UploadPostRequest, '{"action": "upload_post", "username": "user1", "caption": "", "timestamp": "2025-05-13 21:52:29"}'),
  v('get-feed-request', GetFeedRequest, '{"action": "get_feed"}'),
  v('send-friend-request-request', SendFriendRequestRequest, '{"action": "send_friend_request", "sender": "user1", "receiver": "user2"}'),
  v('accept-friend-request-request', AcceptFriendRequestRequest, '{"action": "accept_friend_request", "user": "user2", "friend": "user1"}'),
  v('reject-friend-request-request', RejectFriendRequestRequest, '{"action": "reject_friend_request", "user": "user2", "friend": "user1"}'),
  v('send-message-request', SendMessageRequest, '{"action": "send_message", "sender": "user1", "receiver": "user2", "message": "\\u0645\\u0631\\u062d\\u0628\\u0627 \\ud83d\\ude00", "timestamp": "2025-05-13T21:52:29.123456", "is_image": false}'),
  v('send-message-request', SendMessageRequest, '{"action": "send_message", "sender": "user1", "receiver": "user2", "message": "Image", "timestamp": "2025-05-13T21:52:29", "is_image": true}'),
  v('get-messages-request', GetMessagesRequest, '{"action": "get_messages", "user1": "user1", "user2": "user2"}'),
  v('get-user-data-request', GetUserDataRequest, '{"action": "get_user_data", "username": "user1"}'),
  v('get-all-users-request', GetAllUsersRequest, '{"action": "get_all_users"}'),
  v('add-comment-request', AddCommentRequest, '{"action": "add_comment", "post_image_path": "data/images/user1_2025-05-13 21-52-29.jpg", "user": "user2", "text": "nice"}'),
  // A benign client's extra key (requests are passthrough).
  v('any-request', AnyRequest, '{"action": "get_all_users", "client": "my-client/1.0"}'),
  v('any-request', AnyRequest, '{"action":"login","username":"User1","password":"123"}\n'),

  // Every reply the field notes list.
  v('login-reply', LoginReply, '{"status": "success", "message": "Login successful"}'),
  v('error-reply', ErrorReply, '{"status": "error", "message": "Invalid credentials"}'),
  v('upload-post-reply', UploadPostReply, '{"status": "success", "message": "Post uploaded successfully"}'),
  v('error-reply', ErrorReply, '{"status": "error", "message": "Failed to save image"}'),
  v('error-reply', ErrorReply, '{"status": "error", "message": "\'sender\'"}'),
  v('get-feed-reply', GetFeedReply, '{"status": "success", "posts": []}'),
  v('get-feed-reply', GetFeedReply, '{"status": "success", "posts": [{"username": "user1", "image_path": "data/images/user1_2025-05-13 21-52-29.jpg", "caption": "Hello", "timestamp": "2025-05-13 21:52:29", "comments": [{"user": "user2", "text": "nice"}], "image_data": "/9j/4AAQSkZJRgA="}]}'),
  v('feed-post', FeedPost, '{"username": "user1", "image_path": "data/images/user1_2025-05-13 21-52-29.jpg", "caption": "", "timestamp": "2025-05-13 21:52:29", "image_data": ""}'),
  v('send-friend-request-reply', SendFriendRequestReply, '{"status": "success", "message": "Friend request sent"}'),
  v('error-reply', ErrorReply, '{"status": "error", "message": "Invalid request"}'),
  v('accept-friend-request-reply', AcceptFriendRequestReply, '{"status": "success", "message": "Friend request accepted"}'),
  v('reject-friend-request-reply', RejectFriendRequestReply, '{"status": "success", "message": "Friend request rejected"}'),
  v('send-message-reply', SendMessageReply, '{"status": "success", "message": "Message sent"}'),
  v('get-messages-reply', GetMessagesReply, '{"status": "success", "messages": []}'),
  v('get-messages-reply', GetMessagesReply, '{"status": "success", "messages": [{"sender": "user1", "receiver": "user2", "message": "hi", "timestamp": "2025-05-13T21:52:29.123456", "is_image": false}, {"sender": "user2", "receiver": "user1", "message": "Image", "timestamp": "2025-05-13T21:53:02.000917", "is_image": true, "image_path": "data/images/user2_user1_2025-05-13T21-53-02.000917.jpg"}]}'),
  v('get-user-data-reply', GetUserDataReply, '{"status": "success", "user_data": {"password": "123", "friends": [], "requests": []}}'),
  v('get-user-data-reply', GetUserDataReply, '{"status": "success", "user_data": {"friends": ["user2"], "requests": ["user3"]}}'),
  v('error-reply', ErrorReply, '{"status": "error", "message": "User not found"}'),
  v('get-all-users-reply', GetAllUsersReply, '{"status": "success", "users": ["user1", "user2", "user3", "user4", "user5", "user6"]}'),
  v('add-comment-reply', AddCommentReply, '{"status": "success"}'),
  v('error-reply', ErrorReply, '{"status": "error", "message": "No posts found"}'),
  v('error-reply', ErrorReply, '{"status": "error", "message": "Post not found"}'),
  v('error-reply', ErrorReply, '{"status": "error", "message": "Invalid action"}'),
  v('reply-envelope', ReplyEnvelope, '{"status": "success", "posts": []}'),
  v('reply-envelope', ReplyEnvelope, '{"status": "error", "message": "Invalid action"}'),

  // The image exchange.
  v('ready-ack', ReadyAck, '{"status": "ready"}'),
  v('image-success-ack', ImageSuccessAck, '{"status": "success"}'),
  v('image-error-ack', ImageErrorAck, '{"status": "error", "message": "Failed to save image"}'),

  // Stored records as the course writes them (4-space indent, ASCII escapes).
  v('users-file', UsersFile, '{\n    "user1": {\n        "password": "123",\n        "friends": [],\n        "requests": []\n    },\n    "user2": {\n        "password": "123",\n        "friends": [\n            "user3"\n        ],\n        "requests": [\n            "user1"\n        ]\n    }\n}'),
  v('posts-file', PostsFile, '[\n    {\n        "username": "user1",\n        "image_path": "data/images/user1_2025-05-13 21-52-29.jpg",\n        "caption": "\\u0645\\u0631\\u062d\\u0628\\u0627",\n        "timestamp": "2025-05-13 21:52:29"\n    }\n]'),
  v('conversation-file', ConversationFile, '[\n    {\n        "sender": "user1",\n        "receiver": "user2",\n        "message": "hi",\n        "timestamp": "2025-05-13T21:52:29.123456",\n        "is_image": false\n    }\n]'),
];

const x = (schema: string, zod: ZodTypeAny, value: unknown, why: string, zodPath: string, ajvError: string): InvalidExample => ({
  schema,
  zod,
  value,
  why,
  zodPath,
  ajvError,
});

const dm = { action: 'send_message', sender: 'user1', receiver: 'user2', message: 'hi', timestamp: '2025-05-13T21:52:29.123456', is_image: false };

export const INVALID_EXAMPLES: readonly InvalidExample[] = [
  x('send-message-request', SendMessageRequest, { ...dm, receiver: 2 }, 'receiver is a number', 'receiver', '/receiver must be string'),
  x('send-message-request', SendMessageRequest, { ...dm, is_image: 'false' }, 'is_image is a string', 'is_image', '/is_image must be boolean'),
  x('send-message-request', SendMessageRequest, { ...dm, timestamp: '2025-05-13 21:52:29' }, 'post-style timestamp on a DM', 'timestamp', '/timestamp must match pattern'),
  x('login-request', LoginRequest, { action: 'login', username: 'user1' }, 'password missing', 'password', "(root) must have required property 'password'"),
  x('login-request', LoginRequest, { action: 'login', username: null, password: '123' }, 'username is null', 'username', '/username must be string'),
  x('upload-post-request', UploadPostRequest, { action: 'upload_post', username: 'user1', caption: 'c', timestamp: '../../etc/x' }, 'timestamp is a path', 'timestamp', '/timestamp must match pattern'),
  x('add-comment-request', AddCommentRequest, { action: 'add_comment', user: 'user2', text: 'nice' }, 'post_image_path missing', 'post_image_path', "(root) must have required property 'post_image_path'"),
  x('get-messages-request', GetMessagesRequest, { action: 'get_messages', user1: 'user1', user2: ['user2'] }, 'user2 is an array', 'user2', '/user2 must be string'),
  x('any-request', AnyRequest, { action: 'delete_everything' }, 'unknown action', 'action', '/action must be equal to constant'),
  x('any-request', AnyRequest, { username: 'user1' }, 'action missing', 'action', "(root) must have required property 'action'"),
  x('any-request', AnyRequest, [], 'not an object', '', '(root) must be object'),
  x('login-reply', LoginReply, { status: 'success', message: 'Login Successful' }, 'wrong capitalisation', 'message', '/message must be equal to constant'),
  x('login-reply', LoginReply, { status: 'success', message: 'Login successful', user: 'user1' }, 'extra key in a reply', '', '(root) must NOT have additional properties'),
  x('error-reply', ErrorReply, { status: 'error' }, 'error without message', 'message', "(root) must have required property 'message'"),
  x('error-reply', ErrorReply, { status: 'failure', message: 'x' }, 'unknown status', 'status', '/status must be equal to constant'),
  x('reply-envelope', ReplyEnvelope, { status: 'error' }, 'error without message (ERR-3)', 'message', "(root) must have required property 'message'"),
  x('reply-envelope', ReplyEnvelope, { message: 'ok' }, 'status missing (ERR-3)', 'status', "(root) must have required property 'status'"),
  x('add-comment-reply', AddCommentReply, { status: 'success', message: 'Comment added' }, 'add_comment carries no message', '', '(root) must NOT have additional properties'),
  x('get-user-data-reply', GetUserDataReply, { status: 'success', user_data: { friends: 'user2', requests: [] } }, 'friends is a string', 'user_data/friends', '/user_data/friends must be array'),
  x('get-messages-reply', GetMessagesReply, { status: 'success', messages: [{ sender: 'user1', receiver: 'user2', message: 'hi', timestamp: 't', is_image: 'no' }] }, 'is_image is a string', 'messages/0/is_image', '/messages/0/is_image must be boolean'),
  x('get-all-users-reply', GetAllUsersReply, { status: 'success', users: ['user1', 2] }, 'a username is a number', 'users/1', '/users/1 must be string'),
  x('get-feed-reply', GetFeedReply, { status: 'success', posts: [{ username: 'u', image_path: 'p', caption: '', timestamp: 't', image_data: '@@' }] }, 'image_data is not base64', 'posts/0/image_data', '/posts/0/image_data must match pattern'),
  x('ready-ack', ReadyAck, { status: 'Ready' }, 'wrong capitalisation', 'status', '/status must be equal to constant'),
  x('image-success-ack', ImageSuccessAck, { status: 'success', message: 'Post uploaded successfully' }, 'final reply where the acknowledgement belongs', '', '(root) must NOT have additional properties'),
  x('users-file', UsersFile, { user1: { password: '123', friends: [], requests: null } }, 'requests is null', 'user1/requests', '/user1/requests must be array'),
  x('posts-file', PostsFile, {}, 'posts.json holds an object', '', '(root) must be array'),
  x('conversation-file', ConversationFile, [{ sender: 'user1', receiver: 'user2', message: 'hi', timestamp: 't' }], 'is_image missing', '0/is_image', "/0 must have required property 'is_image'"),
];
