import type { ActionHandler } from './context.ts';

/** USER-1: every username, in file order. */
export const getAllUsers: ActionHandler<'get_all_users'> = async (_request, context) => {
  const users = await context.store.users.read();
  return { status: 'success', users: Object.keys(users) };
};
