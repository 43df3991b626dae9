import type { CommandResult, FeedItem, MessageEntry } from './command-spec.ts';

// Human output: what a TA wants to read at a terminal. Scripts use --json instead, so this text
// may change between versions.

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** '2025-05-13T21:52:29.123456' -> '2025-05-13 21:52:29'; anything else is shown as sent. */
export function formatMessageTime(timestamp: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(timestamp);
  return match ? `${match[1]} ${match[2]}` : timestamp;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function list(items: readonly string[], empty: string, heading: string): string {
  return items.length === 0 ? empty : `${heading}:\n${items.map((i) => `  ${i}`).join('\n')}`;
}

export function formatMessageLine(message: MessageEntry): string {
  const body = message.is_image ? `[image${message.image_path ? `: ${message.image_path}` : ''}]` : message.message;
  return `[${formatMessageTime(message.timestamp)}] ${message.sender}: ${body}`;
}

function formatFeedItem(item: FeedItem): string {
  const image = item.image_bytes === null ? 'no image data' : `image ${formatBytes(item.image_bytes)}`;
  const lines = [`#${item.number}  ${item.username} · ${item.timestamp} · ${image} · ${item.image_path}`];
  lines.push(`    ${item.caption === '' ? '(no caption)' : item.caption}`);
  for (const comment of item.comments) lines.push(`    💬 ${comment.user}: ${comment.text}`);
  if (item.saved_as) lines.push(`    saved as ${item.saved_as}`);
  return lines.join('\n');
}

export function formatHuman(result: CommandResult): string {
  switch (result.command) {
    case 'users':
      return result.users
        .map((u) => {
          const marks = [u === result.you ? 'you' : '', result.friends.includes(u) ? 'friend' : '', result.requests.includes(u) ? 'sent you a friend request' : '']
            .filter(Boolean)
            .join(', ');
          return marks ? `${u} (${marks})` : u;
        })
        .join('\n');
    case 'requests':
      return list(
        result.requests,
        'No pending friend requests.',
        `${plural(result.requests.length, 'pending friend request')} (answer with \`accept <user>\` or \`reject <user>\`)`,
      );
    case 'friends':
      return list(result.friends, 'No friends yet (send one with `friend-request <user>`).', plural(result.friends.length, 'friend'));
    case 'friend-request':
      return `${result.message}: ${result.to}`;
    case 'accept':
    case 'reject':
      return `${result.message}: ${result.from}`;
    case 'dm':
      return `${result.message} to ${result.to}`;
    case 'dm-image':
      return `${result.message} to ${result.to}: image ${result.file} (${formatBytes(result.bytes)})`;
    case 'messages': {
      if (result.messages.length === 0) return `No messages between ${result.you} and ${result.with} yet.`;
      const heading = `Conversation between ${result.you} and ${result.with} (${plural(result.messages.length, 'message')}):`;
      return [heading, ...result.messages.map(formatMessageLine)].join('\n');
    }
    case 'post':
      return `${result.message}: ${result.file} (${formatBytes(result.bytes)})${result.caption ? ` — ${result.caption}` : ''}`;
    case 'feed': {
      if (result.posts.length === 0) return 'The feed is empty.';
      return [`${plural(result.posts.length, 'post')}:`, ...result.posts.map(formatFeedItem)].join('\n');
    }
    case 'comment':
      return `Comment added to ${result.post}: ${result.text}`;
  }
}
