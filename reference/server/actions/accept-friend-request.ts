import { REPLY_TEXT } from '../../../spec/messages/index.ts';
import { errorReply, successReply } from '../replies.ts';
import { setUserRecord, stringList, userRecord, withListItem, withoutListItem } from '../store/documents.ts';
import type { ActionHandler } from './context.ts';

/**
 * FRQ-2, FRQ-5: `user` accepts the pending request from `friend`. Both list each other once, and
 * the request is gone, together with a crossed request the other way if there was one.
 */
export const acceptFriendRequest: ActionHandler<'accept_friend_request'> = async (request, context) => {
  const { user, friend } = request;
  return context.store.users.update((users) => {
    const me = userRecord(users, user);
    const them = userRecord(users, friend);
    if (me === undefined || them === undefined || !stringList(me, 'requests').includes(friend)) {
      return { changed: false, result: errorReply(REPLY_TEXT.invalidRequest) };
    }
    let mine = stringList(me, 'friends').includes(friend) ? me : withListItem(me, 'friends', friend);
    let theirs = stringList(them, 'friends').includes(user) ? them : withListItem(them, 'friends', user);
    mine = withoutListItem(mine, 'requests', friend);
    theirs = withoutListItem(theirs, 'requests', user);
    setUserRecord(users, user, mine);
    setUserRecord(users, friend, theirs);
    return { changed: true, result: successReply(REPLY_TEXT.friendRequestAccepted) };
  });
};
