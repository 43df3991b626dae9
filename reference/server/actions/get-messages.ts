import type { ActionHandler } from './context.ts';
import { errorReply } from '../replies.ts';
import { checkPathFields } from './path-safety.ts';

/** DM-2, DM-6: the whole conversation in stored order; [] when the two never wrote. */
export const getMessages: ActionHandler<'get_messages'> = async (request, context) => {
  const { user1, user2 } = request;
  const unsafe = checkPathFields({ user1, user2 });
  if (unsafe !== undefined) return errorReply(unsafe);
  const messages = await context.store.conversation(user1, user2).read();
  return { status: 'success', messages };
};
