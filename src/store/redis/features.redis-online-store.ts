import { Redis } from 'ioredis';
import type { OnlineRow, OnlineStore } from '../../domain/features/types.js';

/**
 * Keeps a row only when it is at least as new as the stored one, in one step on the server: two materializations
 * of overlapping windows never leave the older value behind.
 */
const WRITE_IF_NEWER = `
local cur = redis.call('HGET', KEYS[1], 't')
if cur and tonumber(cur) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 't', ARGV[1], 'v', ARGV[2])
return 1`;

/** The online store at scale: one Redis hash per view and entity key (`<prefix><view>:<key>`, fields t and v). */
export class RedisOnlineStore implements OnlineStore {
  readonly name = 'redis';
  private readonly redis: Redis;

  constructor(url: string, private readonly prefix = 'openexpert:features:') {
    this.redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    this.redis.defineCommand('writeIfNewer', { numberOfKeys: 1, lua: WRITE_IF_NEWER });
  }

  private keyOf(view: string, key: string): string {
    return `${this.prefix}${view}:${key}`;
  }

  async write(view: string, rows: readonly OnlineRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 1000) {
      const pipeline = this.redis.pipeline();
      for (const r of rows.slice(i, i + 1000)) (pipeline as unknown as { writeIfNewer(k: string, t: number, v: string): void }).writeIfNewer(this.keyOf(view, r.key), r.eventTime, JSON.stringify(r.values));
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0]!;
    }
  }

  async read(view: string, keys: readonly string[]): Promise<(OnlineRow | undefined)[]> {
    if (keys.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const k of keys) pipeline.hmget(this.keyOf(view, k), 't', 'v');
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, value], i) => {
      if (err) throw err;
      const [t, v] = value as [string | null, string | null];
      return t === null || v === null ? undefined : { key: keys[i]!, values: JSON.parse(v) as Record<string, unknown>, eventTime: Number(t) };
    });
  }

  async drop(view: string): Promise<void> {
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}${view}:*`, 'COUNT', 1000);
      if (found.length) await this.redis.del(...found);
      cursor = next;
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
