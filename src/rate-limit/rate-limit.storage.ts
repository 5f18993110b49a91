import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { closeRedis, redisOptions } from '../jobs/queue-connection';

/**
 * Where rate-limit counters live. With REDIS_URL, in Redis, so every API replica counts
 * against the same allowance. Without it (the embedded mode), or while Redis cannot be
 * reached, in this process: a Redis outage weakens the limits to per-process ones for a
 * while instead of refusing every request.
 */
export class RateLimitStorage implements ThrottlerStorage, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RateLimitStorage.name);
  private readonly local = new ThrottlerStorageService();
  private readonly redis?: Redis;
  private readonly shared?: ThrottlerStorageRedisService;
  private warned = false;

  constructor(config: AppConfig) {
    if (!config.REDIS_URL) return;
    this.redis = new Redis({
      ...redisOptions(config.REDIS_URL),
      keyPrefix: `${config.QUEUE_PREFIX}:rate-limit:`,
      // Fail at once while disconnected (the local counters take over) rather than queue.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    this.redis.on('error', () => undefined); // readiness reports Redis; no log flood here
    this.shared = new ThrottlerStorageRedisService(this.redis);
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

  async onApplicationShutdown(): Promise<void> {
    this.local.onApplicationShutdown();
    if (this.redis) await closeRedis(this.redis);
  }
}
