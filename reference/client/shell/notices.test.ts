import { describe, expect, it } from 'vitest';
import type { MessageEntry } from '../../../spec/messages/index.ts';
import { conversationNotices, userDataNotices } from './notices.ts';

const message = (sender: string, text: string, extra: Partial<MessageEntry> = {}): MessageEntry => ({
  sender,
  receiver: sender === 'user1' ? 'user2' : 'user1',
  message: text,
  timestamp: '2025-05-13T21:52:29',
  is_image: false,
  ...extra,
});

describe('poll notices', () => {
  it('announces new friend requests and accepted requests, not the user\'s own accepts', () => {
    expect(userDataNotices({ friends: [], requests: ['user3'] }, { friends: ['user3', 'user4'], requests: ['user5'] })).toEqual([
      '🔔 friend request from user5 — answer with `accept user5` or `reject user5`',
      '🔔 user4 is now your friend (your friend request was accepted)',
    ]);
    expect(userDataNotices({ friends: ['a'], requests: ['b'] }, { friends: ['a'], requests: ['b'] })).toEqual([]);
  });

  it('announces only the other side\'s new messages, images included', () => {
    const messages = [message('user1', 'hi'), message('user2', 'hello'), message('user2', 'Image', { is_image: true, image_path: 'data/images/x.jpg' })];
    expect(conversationNotices('user2', 1, messages)).toEqual({
      notices: ['💬 user2: hello', '💬 user2 sent an image: data/images/x.jpg'],
      seen: 3,
    });
    expect(conversationNotices('user2', 3, messages).notices).toEqual([]);
  });

  it('starts over when the conversation got shorter (the server\'s data was reset)', () => {
    expect(conversationNotices('user2', 5, [message('user2', 'again')])).toEqual({ notices: ['💬 user2: again'], seen: 1 });
  });
});
