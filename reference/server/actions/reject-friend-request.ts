import { REPLY_TEXT } from '../../../spec/messages/index.ts';
import { errorReply, successReply } from '../replies.ts';
import { setUserRecord, stringList, userRecord, withoutListItem } from '../store/documents.ts';
import type { ActionHandler } from './context.ts';

/** FRQ-3, FRQ-5: `user` drops the pending request from `friend`; no friendship is made. */
export const rejectFriendRequest: ActionHandler<'reject_friend_request'> = async (request, context) => {
  const { user, friend } = request;
  return context.store.users.update((users) => {
    const me = userRecord(users, user);
    if (me === undefined || !stringList(me, 'requests').includes(friend)) {
      return { changed: false, result: errorReply(REPLY_TEXT.invalidRequest) };
    }
    setUserRecord(users, user, withoutListItem(me, 'requests', friend));
    return { changed: true, result: successReply(REPLY_TEXT.friendRequestRejected) };
  });
};
