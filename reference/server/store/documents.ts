import type { JsonObject, JsonValue } from '../../../spec/codec/index.ts';

// The three kinds of data file, kept as plain JSON so that keys another server wrote survive a
// rewrite (DATA-5). Handlers read fields through the helpers below, which tolerate the shapes an
// older or hand-edited course folder may hold, instead of refusing the whole file.

export type UsersDocument = JsonObject;
export type PostsDocument = JsonValue[];
export type ConversationDocument = JsonValue[];

export function checkUsersDocument(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'expected an object of users';
  for (const [name, record] of Object.entries(value)) {
    if (!isPlainObject(record)) return `user ${JSON.stringify(name)} is not an object`;
  }
  return undefined;
}

export function checkListDocument(value: unknown): string | undefined {
  return Array.isArray(value) ? undefined : 'expected a list';
}

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string list field of a record; anything else reads as empty. */
export function stringList(record: JsonObject | undefined, key: string): string[] {
  const value = record?.[key];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** The record of a user, when the name is a key of the users file (own keys only, never the prototype). */
export function userRecord(users: UsersDocument, name: string): JsonObject | undefined {
  if (!Object.hasOwn(users, name)) return undefined;
  const record = users[name];
  return isPlainObject(record) ? record : undefined;
}

/**
 * A copy of `record` whose list field `key` has `item` appended (the list is created when missing).
 * Documents are copy-on-write: committed records are shared with readers and with the encoder's
 * cache, so a change always builds a new record instead of editing one in place.
 */
export function withListItem(record: JsonObject, key: string, item: JsonValue): JsonObject {
  const current = record[key];
  return { ...record, [key]: [...(Array.isArray(current) ? current : []), item] };
}

/** A copy of `record` without any occurrence of `item` in the list field `key`. */
export function withoutListItem(record: JsonObject, key: string, item: JsonValue): JsonObject {
  const current = record[key];
  return Array.isArray(current) ? { ...record, [key]: current.filter((entry) => entry !== item) } : record;
}

/** Sets a user's record; defineProperty so that a user literally named "__proto__" stays a user. */
export function setUserRecord(users: UsersDocument, name: string, record: JsonObject): void {
  Object.defineProperty(users, name, { value: record, enumerable: true, writable: true, configurable: true });
}

/** Shallow copies: all a mutation needs, since it replaces what it changes (see withListItem). */
export const copyUsers = (users: UsersDocument): UsersDocument => ({ ...users });
export const copyList = <T>(list: T[]): T[] => list.slice();
