import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCompleter } from './completer.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'instanet-completer-'));
writeFileSync(path.join(dir, 'photo.jpg'), 'x');
writeFileSync(path.join(dir, 'phone.png'), 'x');
mkdirSync(path.join(dir, 'pics'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const complete = createCompleter(() => ['user1', 'user2', 'sara'], dir);

describe('shell tab completion', () => {
  it('completes command names', () => {
    expect(complete('')[0]).toContain('friend-request ');
    expect(complete('fr')).toEqual([['friends ', 'friend-request '], 'fr']);
    expect(complete('dm-')).toEqual([['dm-image '], 'dm-']);
  });

  it('completes usernames where a command takes a user', () => {
    expect(complete('dm u')).toEqual([['user1 ', 'user2 '], 'u']);
    expect(complete('accept ')).toEqual([['sara ', 'user1 ', 'user2 '], '']);
    expect(complete('watch s')).toEqual([['sara '], 's']);
    // The DM text is free text: nothing to complete.
    expect(complete('dm user1 hel')).toEqual([[], 'hel']);
  });

  it('completes paths for files and options by name', () => {
    expect(complete('post ph')).toEqual([['phone.png', 'photo.jpg'], 'ph']);
    expect(complete('dm-image user2 pi')).toEqual([['pics/'], 'pi']);
    expect(complete('post photo.jpg --c')).toEqual([['--caption '], '--c']);
    expect(complete('feed --save-images pi')).toEqual([['pics/'], 'pi']);
    expect(complete('help fe')).toEqual([['feed'], 'fe']);
  });
});
