import { describe, expect, it } from 'vitest';
import type { ZodError } from 'zod';
import { pythonJsonDumps, type JsonValue } from '../codec/index.ts';
import {
  ACTIONS,
  AnyRequest,
  ErrorReply,
  GetUserDataReply,
  KNOWN_ERROR_MESSAGES,
  LoginRequest,
  REPLY_REQUIREMENT,
  REPLY_TEXT,
  REQUEST_SCHEMAS,
  SUCCESS_REPLY_SCHEMAS,
  SendMessageRequest,
  carriesImage,
  formatMessageProblems,
  isAction,
  messageProblems,
  onlyExtraKeys,
  replySchema,
} from './index.ts';
import { INVALID_EXAMPLES, VALID_EXAMPLES } from './examples.ts';
import { isRequirementId, requirement } from '../requirements.ts';

const issuePaths = (error: ZodError) => messageProblems(error).map((p) => p.path.slice(1));

describe('field-note messages are valid', () => {
  it.each(VALID_EXAMPLES.map((e) => [e.schema, e.bytes, e] as const))('%s: %s', (_name, bytes, example) => {
    const result = example.zod.safeParse(JSON.parse(bytes));
    expect(result.error?.issues ?? []).toEqual([]);
  });

  // Parsing keeps the course's key order, so a server that parses and re-encodes writes the
  // course's exact bytes (FRAME-11).
  it.each(VALID_EXAMPLES.filter((e) => !/\n/.test(e.bytes) && e.bytes.includes('": ')).map((e) => [e.schema, e.bytes, e] as const))(
    '%s round-trips to the same bytes: %s',
    (_name, bytes, example) => {
      expect(pythonJsonDumps(example.zod.parse(JSON.parse(bytes)) as JsonValue)).toBe(bytes);
    },
  );
});

describe('bad messages are rejected with a readable path', () => {
  it.each(INVALID_EXAMPLES.map((e) => [e.schema, e.why, e] as const))('%s: %s', (_name, _why, example) => {
    const result = example.zod.safeParse(example.value);
    expect(result.success).toBe(false);
    expect(issuePaths(result.error as ZodError)).toContain(example.zodPath);
  });
});

describe('requests', () => {
  it('has one request and one success reply schema per action', () => {
    expect(Object.keys(REQUEST_SCHEMAS).sort()).toEqual([...ACTIONS].sort());
    expect(Object.keys(SUCCESS_REPLY_SCHEMAS).sort()).toEqual([...ACTIONS].sort());
    expect(Object.keys(KNOWN_ERROR_MESSAGES).sort()).toEqual([...ACTIONS].sort());
    for (const action of ACTIONS) {
      expect(REQUEST_SCHEMAS[action].safeParse({ action: 'something_else' }).success).toBe(false);
      expect(REQUEST_SCHEMAS[action].description).toMatch(/\([A-Z]+-\d+/);
    }
  });

  it('keeps unknown keys and puts fields in the course order', () => {
    const parsed = AnyRequest.parse({ extra: 1, password: '123', username: 'user1', action: 'login' });
    expect(Object.keys(parsed)).toEqual(['action', 'username', 'password', 'extra']);
    expect(LoginRequest.parse({ action: 'login', username: 'u', password: 'p', x: [1] })).toMatchObject({ x: [1] });
  });

  it('routes on action', () => {
    const dm = SendMessageRequest.parse({
      action: 'send_message',
      sender: 'a',
      receiver: 'b',
      message: 'Image',
      timestamp: '2025-05-13T21:52:29',
      is_image: true,
    });
    expect(carriesImage(dm)).toBe(true);
    expect(carriesImage({ ...dm, is_image: false })).toBe(false);
    expect(carriesImage(AnyRequest.parse({ action: 'get_feed' }))).toBe(false);
    expect(carriesImage(AnyRequest.parse({ action: 'upload_post', username: 'u', caption: '', timestamp: '2025-05-13 21:52:29' }))).toBe(true);
    expect(isAction('login')).toBe(true);
    expect(isAction('LOGIN')).toBe(false);
    expect(isAction(undefined)).toBe(false);
  });
});

describe('replies', () => {
  it('REPLY_REQUIREMENT cites a catalogued requirement for every action', () => {
    expect(Object.keys(REPLY_REQUIREMENT).sort()).toEqual([...ACTIONS].sort());
    for (const [action, id] of Object.entries(REPLY_REQUIREMENT)) {
      expect(isRequirementId(id), `${action} -> ${id}`).toBe(true);
      expect(requirement(id).text, `${action} -> ${id}`).toContain(action);
    }
  });

  it('replySchema accepts the success reply or an error, nothing else', () => {
    const login = replySchema('login');
    expect(login.safeParse({ status: 'success', message: REPLY_TEXT.loginOk }).success).toBe(true);
    expect(login.safeParse({ status: 'error', message: REPLY_TEXT.invalidCredentials }).success).toBe(true);
    expect(login.safeParse({ status: 'success', message: REPLY_TEXT.messageSent }).success).toBe(false);
    expect(replySchema('add_comment').safeParse({ status: 'success' }).success).toBe(true);
    expect(replySchema('login')).toBe(login);
  });

  it('tells an extra key apart from a wrong value', () => {
    const extra = GetUserDataReply.safeParse({ status: 'success', user_data: { friends: [], requests: [], posts: [] } });
    expect(extra.error?.issues.map((i) => i.code)).toEqual(['unrecognized_keys']);
    expect(onlyExtraKeys(extra.error as ZodError)).toBe(true);
    const wrong = ErrorReply.safeParse({ status: 'error', message: 7 });
    expect(wrong.error?.issues.map((i) => i.code)).toEqual(['invalid_type']);
    expect(onlyExtraKeys(wrong.error as ZodError)).toBe(false);
  });

  it('formats problems with readable paths', () => {
    const bad = replySchema('get_messages').safeParse({ status: 'success', messages: [{ sender: 'a', receiver: 'b', message: 'm', timestamp: 't', is_image: 1 }] });
    expect(formatMessageProblems(bad.error as ZodError)).toContain('/messages/0/is_image: Expected boolean, received number');
    const dm = SendMessageRequest.safeParse({ action: 'send_message', sender: 'a', receiver: 5, message: 'm', timestamp: '2025-05-13T21:52:29', is_image: false });
    expect(formatMessageProblems(dm.error as ZodError)).toEqual(['/receiver: Expected string, received number']);
    const unknown = AnyRequest.safeParse({ action: 'nope' });
    expect(formatMessageProblems(unknown.error as ZodError)[0]).toMatch(/^\/action: Invalid discriminator value/);
    const root = AnyRequest.safeParse('x');
    expect(formatMessageProblems(root.error as ZodError)).toEqual(['(root): Expected object, received string']);
  });

  it('REPLY_TEXT holds the course strings', () => {
    expect(REPLY_TEXT).toMatchObject({
      loginOk: 'Login successful',
      postUploaded: 'Post uploaded successfully',
      invalidAction: 'Invalid action',
      imageMessageText: 'Image',
    });
    expect(Object.keys(REPLY_TEXT)).toHaveLength(14);
  });
});
