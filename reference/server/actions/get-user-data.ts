import type { JsonObject } from '../../../spec/codec/index.ts';
import { REPLY_TEXT } from '../../../spec/messages/index.ts';
import { errorReply } from '../replies.ts';
import { stringList, userRecord } from '../store/documents.ts';
import type { ActionHandler } from './context.ts';

/**
 * USER-2: friends and pending requests. The password is disclosed only in course mode, where the
 * starter's behaviour is the point (AUTH-6).
 */
export const getUserData: ActionHandler<'get_user_data'> = async (request, context) => {
  const record = userRecord(await context.store.users.read(), request.username);
  if (record === undefined) return errorReply(REPLY_TEXT.userNotFound);
  const userData: JsonObject = {};
  const password = record['password'];
  if (context.mode === 'course' && typeof password === 'string') userData['password'] = password;
  userData['friends'] = stringList(record, 'friends');
  userData['requests'] = stringList(record, 'requests');
  return { status: 'success', user_data: userData };
};
