import { REPLY_TEXT } from '../../../spec/messages/index.ts';
import { errorReply, successReply } from '../replies.ts';
import { setUserRecord, stringList, userRecord, withListItem } from '../store/documents.ts';
import type { ActionHandler } from './context.ts';

/**
 * FRQ-1, FRQ-4, FRQ-6: the request lands in the receiver's list once. Refused with the course's
 * "Invalid request": unknown sender or receiver, a request to oneself, to an existing friend, or
 * one already pending.
 */
export const sendFriendRequest: ActionHandler<'send_friend_request'> = async (request, context) => {
  const { sender, receiver } = request;
  return context.store.users.update((users) => {
    const from = userRecord(users, sender);
    const to = userRecord(users, receiver);
    const refused =
      from === undefined ||
      to === undefined ||
      sender === receiver ||
      stringList(from, 'friends').includes(receiver) ||
      stringList(to, 'friends').includes(sender) ||
      stringList(to, 'requests').includes(sender);
    if (refused) return { changed: false, result: errorReply(REPLY_TEXT.invalidRequest) };
    setUserRecord(users, receiver, withListItem(to, 'requests', sender));
    return { changed: true, result: successReply(REPLY_TEXT.friendRequestSent) };
  });
};
