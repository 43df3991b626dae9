import { z } from 'zod';

// The eleven actions of the course protocol, in the order the course's server dispatches them.
// Every other value of "action" is answered with "Invalid action" (ERR-1).
export const ACTIONS = [
  'login',
  'upload_post',
  'get_feed',
  'send_friend_request',
  'accept_friend_request',
  'reject_friend_request',
  'send_message',
  'get_messages',
  'get_user_data',
  'get_all_users',
  'add_comment',
] as const;

export const Action = z.enum(ACTIONS).describe('One of the eleven InstaNet actions (ERR-1: anything else is an invalid action).');
export type Action = z.infer<typeof Action>;

export function isAction(value: unknown): value is Action {
  return typeof value === 'string' && (ACTIONS as readonly string[]).includes(value);
}

/** Actions whose request is followed by the image exchange (IMG-1..IMG-8); send_message only when is_image is true. */
export const IMAGE_ACTIONS: readonly Action[] = ['upload_post', 'send_message'];
