import type { JsonObject } from '../../spec/codec/index.ts';

/** The assignment hands out user1..user6 with password '123'. */
export const DEFAULT_SEED_USERS = 6;
export const SEED_PASSWORD = '123';

/** users.json for a new data folder: user1..userN, password '123', no friends, no requests. */
export function seedUsers(count: number = DEFAULT_SEED_USERS): JsonObject {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`seed user count must be a non-negative integer, got ${count}`);
  const users: JsonObject = {};
  for (let i = 1; i <= count; i += 1) users[`user${i}`] = { password: SEED_PASSWORD, friends: [], requests: [] };
  return users;
}
