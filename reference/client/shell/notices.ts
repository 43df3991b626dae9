import type { MessageEntry } from '../../../spec/messages/index.ts';

// What changed between two polls, as the lines the shell prints. Pure functions so the rules
// (what counts as new, what is the user's own doing) are tested without a server.

export interface UserSnapshot {
  friends: readonly string[];
  requests: readonly string[];
}

export function userDataNotices(previous: UserSnapshot, next: UserSnapshot): string[] {
  const notices: string[] = [];
  for (const from of next.requests) {
    if (!previous.requests.includes(from)) notices.push(`🔔 friend request from ${from} — answer with \`accept ${from}\` or \`reject ${from}\``);
  }
  for (const friend of next.friends) {
    // A friend who was a pending request of ours became one because we accepted: no news.
    if (!previous.friends.includes(friend) && !previous.requests.includes(friend)) {
      notices.push(`🔔 ${friend} is now your friend (your friend request was accepted)`);
    }
  }
  return notices;
}

/**
 * New messages from `other` since `seen` messages of the conversation. A shorter conversation than
 * before means the server's data was reset: everything is new again.
 */
export function conversationNotices(other: string, seen: number, messages: readonly MessageEntry[]): { notices: string[]; seen: number } {
  const start = messages.length < seen ? 0 : seen;
  const notices = messages
    .slice(start)
    .filter((m) => m.sender === other)
    .map((m) => (m.is_image ? `💬 ${other} sent an image${m.image_path ? `: ${m.image_path}` : ''}` : `💬 ${other}: ${m.message}`));
  return { notices, seen: messages.length };
}
