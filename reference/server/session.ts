import type { AnyRequest } from '../../spec/messages/index.ts';
import type { ServerMode } from './options.ts';
import { SERVER_TEXT, notYourself } from './replies.ts';

/** Per-connection login state (AUTH-4, AUTH-5). */
export interface Session {
  user: string | undefined;
}

/** Fields through which a request claims to act as someone (AUTH-5). */
function claimedIdentities(request: AnyRequest): Array<[field: string, name: string]> {
  switch (request.action) {
    case 'upload_post':
      return [['username', request.username]];
    case 'send_friend_request':
      return [['sender', request.sender]];
    case 'accept_friend_request':
    case 'reject_friend_request':
      return [['user', request.user]];
    case 'send_message':
      return [['sender', request.sender]];
    case 'add_comment':
      return [['user', request.user]];
    default:
      return [];
  }
}

/**
 * Strict mode (the default): a connection must log in first and may act only as that user; in
 * get_messages the user must be one side of the conversation. Course mode lets anything through,
 * as the starter does. Returns the refusal text, or undefined when the request may proceed.
 */
export function authorize(request: AnyRequest, session: Session, mode: ServerMode): string | undefined {
  if (mode === 'course' || request.action === 'login') return undefined;
  const user = session.user;
  if (user === undefined) return SERVER_TEXT.loginRequired;
  if (request.action === 'get_messages') {
    return request.user1 === user || request.user2 === user ? undefined : notYourself('user1 or user2', user);
  }
  for (const [field, name] of claimedIdentities(request)) {
    if (name !== user) return notYourself(field, user);
  }
  return undefined;
}
