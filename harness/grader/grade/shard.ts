import { createHash } from 'node:crypto';
import { ShardSpecError } from '../errors.ts';

// A shard is chosen by a hash of the submission's name, not its position: adding or removing a
// submission never moves the others to another shard, and every machine agrees without talking.

export interface Shard {
  index: number; // 1-based
  count: number;
}

export function parseShard(spec: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  if (!m) throw new ShardSpecError(spec);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!(count >= 1 && index >= 1 && index <= count)) throw new ShardSpecError(spec);
  return { index, count };
}

export function shardOf(name: string, count: number): number {
  const digest = createHash('sha256').update(name, 'utf8').digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

export function inShard(name: string, shard: Shard | undefined): boolean {
  return !shard || shardOf(name, shard.count) === shard.index;
}
