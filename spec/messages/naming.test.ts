import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  compareCodePoints,
  conversationFileName,
  conversationFilePath,
  dmImageName,
  dmImagePath,
  isSafePathComponent,
  postImageName,
  postImagePath,
} from './naming.ts';

describe('file names', () => {
  it('sorts conversation names as Python does', () => {
    expect(conversationFileName('user2', 'user1')).toBe('user1_user2.json');
    expect(conversationFileName('user1', 'user2')).toBe('user1_user2.json');
    expect(conversationFileName('User2', 'user1')).toBe('User2_user1.json');
    expect(conversationFileName('user10', 'user9')).toBe('user10_user9.json');
    expect(conversationFileName('a', 'a')).toBe('a_a.json');
    expect(conversationFilePath('b', 'a')).toBe('data/messages/a_b.json');
  });

  it('agrees with python3 sorted() where UTF-16 order does not', () => {
    const names = ['\uff01', '\u{1f600}', 'user1', 'ab', 'a', '\u0645', 'Z', '\u{10000}', '\ue000'];
    const python = execFileSync('python3', ['-c', 'import json,sys; print(json.dumps(sorted(json.load(sys.stdin))))'], {
      input: JSON.stringify(names),
      timeout: 10_000,
    });
    expect([...names].sort(compareCodePoints)).toEqual(JSON.parse(python.toString()));
    expect([...names].sort()).not.toEqual(JSON.parse(python.toString()));
    expect(conversationFileName('\u{1f600}', '\uff01')).toBe('\uff01_\u{1f600}.json');
  });

  it('derives image names from the timestamp', () => {
    expect(postImageName('user1', '2025-05-13 21:52:29')).toBe('user1_2025-05-13 21-52-29.jpg');
    expect(postImagePath('user1', '2025-05-13 21:52:29')).toBe('data/images/user1_2025-05-13 21-52-29.jpg');
    expect(dmImageName('user1', 'user2', '2025-05-13T21:52:29.123456')).toBe('user1_user2_2025-05-13T21-52-29.123456.jpg');
    expect(dmImagePath('a', 'b', '1:2')).toBe('data/images/a_b_1-2.jpg');
  });
});

describe('isSafePathComponent (SEC-1)', () => {
  it.each(['user1', 'User_1', '2025-05-13 21:52:29', '2025-05-13T21:52:29.123456', '\u0645\u0631\u062d\u0628\u0627', 'a.b', '.hidden'])(
    'accepts %j',
    (name) => expect(isSafePathComponent(name)).toBe(true),
  );
  it.each(['', '..', '../x', 'a/../b', 'x..', '/etc/passwd', 'a/b', 'a\\b', '\\\\server\\share', 'C:\\x', 'c:x', 'a\0b'])('refuses %j', (name) =>
    expect(isSafePathComponent(name)).toBe(false),
  );
});
