import { loadConfig } from '../../src/config/app-config';
import { RateLimitStorage } from '../../src/rate-limit/rate-limit.storage';
import { removeQueueKeys, TEST_REDIS_URL, testQueuePrefix } from '../support/redis';

const MINUTE = 60_000;

describe('rate-limit counters', () => {
  it('are shared by every API replica through Redis', async () => {
    const prefix = testQueuePrefix();
    const config = loadConfig({ NODE_ENV: 'test', REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix });
    const [a, b] = [new RateLimitStorage(config), new RateLimitStorage(config)];
    await Promise.all([a.onApplicationBootstrap(), b.onApplicationBootstrap()]);
    try {
      expect((await a.increment('mutation:person:1', MINUTE, 2, MINUTE, 'mutation')).isBlocked).toBe(false);
      expect((await b.increment('mutation:person:1', MINUTE, 2, MINUTE, 'mutation')).isBlocked).toBe(false);
      // The third hit, through either replica, is over the allowance of 2.
      expect((await a.increment('mutation:person:1', MINUTE, 2, MINUTE, 'mutation')).isBlocked).toBe(true);
      expect((await b.increment('mutation:person:2', MINUTE, 2, MINUTE, 'mutation')).totalHits).toBe(1);
    } finally {
      await Promise.all([a.onApplicationShutdown(), b.onApplicationShutdown()]);
      await removeQueueKeys(prefix);
    }
  });

  it('fall back to the process while Redis is unreachable, instead of refusing everyone', async () => {
    // Nothing listens on port 1: every Redis call fails at once.
    const storage = new RateLimitStorage(loadConfig({ NODE_ENV: 'test', REDIS_URL: 'redis://127.0.0.1:1', QUEUE_PREFIX: testQueuePrefix() }));
    await storage.onApplicationBootstrap(); // gives up after 2 s
    try {
      const hits = [];
      for (let i = 0; i < 3; i++) hits.push(await storage.increment('login:ip:127.0.0.1', MINUTE, 2, MINUTE, 'login'));
      expect(hits.map((h) => h.isBlocked)).toEqual([false, false, true]);
    } finally {
      await storage.onApplicationShutdown();
    }
  });
});
