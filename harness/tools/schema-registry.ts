import type { ZodTypeAny } from 'zod';
import {
  AcceptFriendRequestReply,
  AcceptFriendRequestRequest,
  AddCommentReply,
  AddCommentRequest,
  AnyRequest,
  CommentEntry,
  ConversationFile,
  ErrorReply,
  FeedPost,
  GetAllUsersReply,
  GetAllUsersRequest,
  GetFeedReply,
  GetFeedRequest,
  GetMessagesReply,
  GetMessagesRequest,
  GetUserDataReply,
  GetUserDataRequest,
  ImageAck,
  ImageErrorAck,
  ImageSuccessAck,
  LoginReply,
  LoginRequest,
  MessageEntry,
  PostEntry,
  PostsFile,
  ReadyAck,
  RejectFriendRequestReply,
  RejectFriendRequestRequest,
  ReplyEnvelope,
  SendFriendRequestReply,
  SendFriendRequestRequest,
  SendMessageReply,
  SendMessageRequest,
  UploadPostReply,
  UploadPostRequest,
  UserData,
  UserRecord,
  UsersFile,
} from '../../spec/messages/index.ts';
import { TranscriptEvent, TranscriptHeader, TranscriptLine } from '../transcript/format.ts';
import { ScenarioFile } from '../scenarios/format.ts';
import { RunReport } from '../runner/report-format.ts';
import { Rubric } from '../grader/rubric/format.ts';

// Every JSON Schema file under schemas/ comes from one entry here; `npm run schemas` writes them and
// a test fails when schemas/ and this list disagree. To publish a new format, import its Zod schema
// and append one line to the list it belongs to.

export type SchemaGroup = 'request' | 'reply' | 'ack' | 'record' | 'harness';

export interface SchemaEntry {
  /** kebab-case; the file is schemas/<name>.schema.json */
  readonly name: string;
  readonly title: string;
  readonly group: SchemaGroup;
  readonly schema: ZodTypeAny;
  /** Defaults to the schema's .describe() text; set it for schemas owned elsewhere that have none. */
  readonly description?: string;
}

const entry = (group: SchemaGroup, name: string, title: string, schema: ZodTypeAny, description?: string): SchemaEntry =>
  description === undefined ? { name, title, group, schema } : { name, title, group, schema, description };

export const PROTOCOL_SCHEMAS: readonly SchemaEntry[] = [
  entry('request', 'any-request', 'Any InstaNet request', AnyRequest),
  entry('request', 'login-request', 'login request', LoginRequest),
  entry('request', 'upload-post-request', 'upload_post request', UploadPostRequest),
  entry('request', 'get-feed-request', 'get_feed request', GetFeedRequest),
  entry('request', 'send-friend-request-request', 'send_friend_request request', SendFriendRequestRequest),
  entry('request', 'accept-friend-request-request', 'accept_friend_request request', AcceptFriendRequestRequest),
  entry('request', 'reject-friend-request-request', 'reject_friend_request request', RejectFriendRequestRequest),
  entry('request', 'send-message-request', 'send_message request', SendMessageRequest),
  entry('request', 'get-messages-request', 'get_messages request', GetMessagesRequest),
  entry('request', 'get-user-data-request', 'get_user_data request', GetUserDataRequest),
  entry('request', 'get-all-users-request', 'get_all_users request', GetAllUsersRequest),
  entry('request', 'add-comment-request', 'add_comment request', AddCommentRequest),

  entry('reply', 'reply-envelope', 'Any reply (status and error message)', ReplyEnvelope),
  entry('reply', 'error-reply', 'Error reply', ErrorReply),
  entry('reply', 'login-reply', 'login success reply', LoginReply),
  entry('reply', 'upload-post-reply', 'upload_post success reply', UploadPostReply),
  entry('reply', 'get-feed-reply', 'get_feed success reply', GetFeedReply),
  entry('reply', 'feed-post', 'A post in the get_feed reply', FeedPost),
  entry('reply', 'send-friend-request-reply', 'send_friend_request success reply', SendFriendRequestReply),
  entry('reply', 'accept-friend-request-reply', 'accept_friend_request success reply', AcceptFriendRequestReply),
  entry('reply', 'reject-friend-request-reply', 'reject_friend_request success reply', RejectFriendRequestReply),
  entry('reply', 'send-message-reply', 'send_message success reply', SendMessageReply),
  entry('reply', 'get-messages-reply', 'get_messages success reply', GetMessagesReply),
  entry('reply', 'get-user-data-reply', 'get_user_data success reply', GetUserDataReply),
  entry('reply', 'user-data', 'user_data in the get_user_data reply', UserData),
  entry('reply', 'get-all-users-reply', 'get_all_users success reply', GetAllUsersReply),
  entry('reply', 'add-comment-reply', 'add_comment success reply', AddCommentReply),

  entry('ack', 'ready-ack', 'Image exchange: ready', ReadyAck),
  entry('ack', 'image-success-ack', 'Image exchange: image received', ImageSuccessAck),
  entry('ack', 'image-error-ack', 'Image exchange: image failed', ImageErrorAck),
  entry('ack', 'image-ack', 'Image exchange: acknowledgement after the bytes', ImageAck),

  entry('record', 'users-file', 'data/users/users.json', UsersFile),
  entry('record', 'user-record', 'A user in users.json', UserRecord),
  entry('record', 'posts-file', 'data/posts/posts.json', PostsFile),
  entry('record', 'post-entry', 'A post in posts.json', PostEntry),
  entry('record', 'comment-entry', "A comment in a post's comments", CommentEntry),
  entry('record', 'conversation-file', 'data/messages/<a>_<b>.json', ConversationFile),
  entry('record', 'message-entry', 'A message in a conversation file', MessageEntry),
];

export const HARNESS_SCHEMAS: readonly SchemaEntry[] = [
  entry('harness', 'transcript-header', 'Transcript header line', TranscriptHeader,
    'First line of a transcript (JSON Lines): format version, kit version, when and what was recorded.'),
  entry('harness', 'transcript-event', 'Transcript event line', TranscriptEvent,
    'One event of a transcript (JSON Lines): bytes seen on a connection, with direction, time and decoding.'),
  entry('harness', 'transcript-line', 'Transcript line (header or event)', TranscriptLine,
    'Any line of a transcript (JSON Lines), told apart by "type": the header first, then events.'),
  entry('harness', 'scenario', 'Conformance scenario file', ScenarioFile),
  entry('harness', 'report', 'Conformance run report (report.json)', RunReport),
  entry('harness', 'rubric', 'Grading rubric', Rubric,
    'A grading rubric for `instanet grade` (fixtures/rubrics/*.yaml): tasks with points, each item mapped to scenario ids or globs and client checks.'),
];

export const SCHEMA_REGISTRY: readonly SchemaEntry[] = [...PROTOCOL_SCHEMAS, ...HARNESS_SCHEMAS];
