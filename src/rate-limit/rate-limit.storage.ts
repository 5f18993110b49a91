import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
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
 */
export class RateLimitStorage implements ThrottlerStorage, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RateLimitStorage.name);
  private readonly local = new ThrottlerStorageService();
  private readonly redis?: RedisClient;
  private readonly shared?: ThrottlerStorageRedisService;
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
    this.shared = new ThrottlerStorageRedisService(this.redis as Redis);
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
        const record = await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
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
