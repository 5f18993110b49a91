import { BackendFactory, createPostgresBackend, FlowProducer, Processor, Queue, Worker, WorkerOptions } from 'bullmq';
import type Redis from 'ioredis';
import { AppConfig } from '../config/app-config';

/** BullMQ's PostgreSQL backend keeps its tables in this schema of the service's own database. */
export const POSTGRES_QUEUE_SCHEMA = 'bullmq';

/**
 * Where the queues live: Redis when REDIS_URL is set (production, tests), otherwise
 * BullMQ's PostgreSQL backend in the service's own database, so the embedded mode
 * (`npm start` on a fresh machine) needs nothing but the embedded PostgreSQL.
 */
export class QueueConnection {
  private constructor(
    readonly kind: 'redis' | 'postgres',
    private readonly connection: object,
    private readonly prefix: string | undefined,
    private readonly backend: BackendFactory<any, any> | undefined,
  ) {}

  static fromConfig(config: AppConfig, databaseUrl: string): QueueConnection {
    if (config.REDIS_URL) return new QueueConnection('redis', redisOptions(config.REDIS_URL), config.QUEUE_PREFIX, undefined);
    // The backend migrates its own schema (advisory-locked) on first connect. Each
    // Queue/Worker owns a small pool plus one LISTEN connection.
    const connection = { connectionString: databaseUrl, schema: POSTGRES_QUEUE_SCHEMA, migrate: true, max: 3 };
    return new QueueConnection('postgres', connection, undefined, createPostgresBackend);
  }

  /** A human-readable description for logs (no credentials). */
  describe(): string {
    return this.kind === 'redis' ? `Redis (prefix "${this.prefix}")` : `PostgreSQL (schema "${POSTGRES_QUEUE_SCHEMA}")`;
  }

  private base() {
    return { connection: this.connection as any, ...(this.prefix ? { prefix: this.prefix } : {}) };
  }

  queue(name: string): Queue {
    return this.backend ? new Queue(name, this.base(), this.backend) : new Queue(name, this.base());
  }

  flowProducer(): FlowProducer {
    return this.backend ? new FlowProducer(this.base(), this.backend) : new FlowProducer(this.base());
  }

  worker(name: string, processor: Processor, options: Omit<WorkerOptions, 'connection'>): Worker {
    const opts = { ...this.base(), ...options };
    return this.backend ? new Worker(name, processor, opts, this.backend) : new Worker(name, processor, opts);
  }
}

/** ioredis options from a redis:// or rediss:// URL. */
export function redisOptions(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // Reconnect at most 2 s apart (ioredis would back off to 20 s), so workers resume
    // soon after Redis comes back from a restart.
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
  };
}

/**
 * Closes an ioredis connection for good and resolves once its socket has closed. QUIT has
 * Redis close it at once; a bare disconnect() only half-closes it and leaves ioredis a
 * ref'd 2 s timer that outlived the application (it kept Jest's workers from exiting).
 */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') {
    // Not connected (e.g. reconnecting while Redis is down): no socket will close, so no
    // 'end' to wait for.
    redis.disconnect();
    return;
  }
  const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
  await redis.quit().catch(() => redis.disconnect());
  await ended;
}
