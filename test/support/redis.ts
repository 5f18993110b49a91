import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { closeRedis } from '../../src/jobs/queue-connection';

/** The machine's Redis; tests only touch keys under their own queue prefix. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A queue prefix no other test run uses. */
export function testQueuePrefix(): string {
  return `cb-test-${randomBytes(5).toString('hex')}`;
}

/** Deletes every key of a queue prefix. */
export async function removeQueueKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 3 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await closeRedis(redis);
  }
}
