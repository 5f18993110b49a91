import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { closeRedis, createRedisClient, RedisClient } from '../jobs/redis-client';

/**
 * Where rate-limit counters live. With REDIS_URL, in Redis, so every API replica counts
 * against the same allowance. Without it (the embedded mode), or while Redis cannot be
 * reached, in this process: a Redis outage weakens the limits to per-process ones for a
 * while instead of refusing every request. On a Redis Cluster the counters spread over the
 * slots: each counter's two keys share a hash tag (`{key:throttler}`), so its script runs on
 * one node.
 *
 * The counting script and keys are @nest-lab/throttler-storage-redis's, but the script is
 * sent once per connection and then run by its digest (EVALSHA): the library sends its
 * whole text (EVAL) with every request, which Redis then hashes again.
 */
export class RateLimitStorage implements ThrottlerStorage, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RateLimitStorage.name);
  private readonly local = new ThrottlerStorageService();
  private readonly redis?: RedisClient;
  private readonly shared?: Throttling;
  private warned = false;
  private closing?: Promise<void>;

  constructor(config: AppConfig) {
    if (!config.REDIS_URL) return;
    this.redis = createRedisClient(config.REDIS_URL, {
      keyPrefix: `${config.QUEUE_PREFIX}:rate-limit:`,
      // Fail at once while disconnected (the local counters take over) rather than queue.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    this.redis.on('error', () => undefined); // readiness reports Redis; no log flood here
    // It takes a Redis or a Cluster (two overloads, hence the cast).
    const lua = new ThrottlerStorageRedisService(this.redis as Redis).scriptSrc;
    this.redis.defineCommand(THROTTLE, { numberOfKeys: 2, lua });
    this.shared = this.redis as unknown as Throttling;
  }

  /** Gives Redis a moment to connect at start-up, so the first requests count in Redis too. */
  async onApplicationBootstrap(): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      redis.once('ready', () => (clearTimeout(timer), resolve()));
    });
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    if (this.shared && this.redis?.status === 'ready') {
      try {
        const record = await countShared(this.shared, key, ttl, limit, blockDuration, throttlerName);
        this.warned = false;
        return record;
      } catch (error) {
        if (!this.warned) this.logger.warn(`rate limits counted per process while Redis is unreachable: ${(error as Error).message}`);
        this.warned = true;
      }
    }
    return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  /** Idempotent: a test or a second shutdown hook may close it again. */
  onApplicationShutdown(): Promise<void> {
    return (this.closing ??= (async () => {
      this.local.onApplicationShutdown();
      if (this.redis) await closeRedis(this.redis);
    })());
  }
}

const THROTTLE = 'cbThrottle';

/** The Redis client with the counting script defined as a command (see RateLimitStorage). */
interface Throttling {
  [THROTTLE](hitKey: string, blockKey: string, throttlerName: string, ttl: number, limit: number, blockDuration: number): Promise<unknown>;
}

/** What ThrottlerStorageRedisService.increment does, with the script run by its digest. */
async function countShared(redis: Throttling, key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
  const counter = `{${key}:${throttlerName}}`;
  const result = await redis[THROTTLE](`${counter}:hits`, `${counter}:blocked`, throttlerName, ttl, limit, blockDuration);
  if (!Array.isArray(result) || result.length !== 4 || !result.every((n) => typeof n === 'number')) {
    throw new TypeError(`unexpected rate-limit script result: ${JSON.stringify(result)}`);
  }
  const [totalHits, timeToExpire, isBlocked, timeToBlockExpire] = result as number[];
  return { totalHits, timeToExpire: Math.ceil(timeToExpire / 1000), isBlocked: isBlocked === 1, timeToBlockExpire: Math.ceil(timeToBlockExpire / 1000) };
}
