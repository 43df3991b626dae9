import { REPLY_TEXT } from '../../../spec/messages/index.ts';
import { errorReply, successReply } from '../replies.ts';
import { userRecord } from '../store/documents.ts';
import type { ActionHandler } from './context.ts';

/** AUTH-1..AUTH-3: the username is lower-cased first, as the course does; the password is compared exactly. */
export const login: ActionHandler<'login'> = async (request, context) => {
  const username = request.username.toLowerCase();
  const record = userRecord(await context.store.users.read(), username);
  if (record === undefined || record['password'] !== request.password) {
    return errorReply(REPLY_TEXT.invalidCredentials);
  }
  context.session.user = username;
  return successReply(REPLY_TEXT.loginOk);
};
