import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '../config/app-config';
import { QueueConnection } from '../jobs/queue-connection';
import { closeRedis, createRedisClient, RedisClient } from '../jobs/redis-client';

/**
 * Readiness of the queue backend. For Redis, a PING on a connection of its own that fails fast
 * (no offline queue, no retry loop), so a stopped Redis shows as down within a second
 * and as up again as soon as it is back. For a Redis Cluster, CLUSTER INFO must say the
 * cluster is `ok` (every slot served): a cluster missing a master refuses the queues' keys.
 */
@Injectable()
export class QueueBackendHealth implements OnModuleDestroy {
  private readonly redis?: RedisClient;

  constructor(
    config: AppConfig,
    private readonly health: HealthIndicatorService,
    private readonly queues: QueueConnection,
  ) {
    if (queues.kind === 'redis' && config.REDIS_URL) {
      this.redis = createRedisClient(config.REDIS_URL, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: 1000,
        retryStrategy: () => 1000,
      });
      this.redis.on('error', () => undefined); // reported through the check, not as log noise
    }
  }

  async check(key = 'queue') {
    const indicator = this.health.check(key);
    // The PostgreSQL queue backend lives in the service's database: the database check covers it.
    if (!this.redis) return indicator.up({ backend: this.queues.kind });
    const backend = this.queues.cluster ? 'redis-cluster' : 'redis';
    try {
      if (this.redis.status === 'wait') await withTimeout(this.redis.connect(), 2000);
      if (this.queues.cluster) {
        const info = String(await withTimeout(this.redis.cluster('INFO'), 1000));
        const state = /^cluster_state:(\w+)/m.exec(info)?.[1];
        return state === 'ok' ? indicator.up({ backend }) : indicator.down({ backend, message: `cluster_state:${state}` });
      }
      const pong = await withTimeout(this.redis.ping(), 1000);
      return pong === 'PONG' ? indicator.up({ backend }) : indicator.down({ backend, message: pong });
    } catch (error) {
      return indicator.down({ backend, message: (error as Error).message });
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.redis) await closeRedis(this.redis);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}
