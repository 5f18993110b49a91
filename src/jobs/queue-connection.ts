import { BackendFactory, createPostgresBackend, createRedisBackend, FlowProducer, Processor, Queue, Worker, WorkerOptions } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { closeRedis, createRedisClient, parseRedisUrl, redisOptions } from './redis-client';

export { closeRedis, redisOptions } from './redis-client';

/** BullMQ's PostgreSQL backend keeps its tables in this schema of the service's own database. */
export const POSTGRES_QUEUE_SCHEMA = 'bullmq';

/**
 * Where the queues live: Redis when REDIS_URL is set (production, tests), otherwise
 * BullMQ's PostgreSQL backend in the service's own database, so the embedded mode
 * (`npm start` on a fresh machine) needs nothing but the embedded PostgreSQL.
 *
 * On a Redis Cluster (`redis+cluster://…`) every key is hash-tagged `{QUEUE_PREFIX}:…`:
 * BullMQ's scripts touch several keys at once (a job and its queue's lists, a flow's parent
 * and children across queues), which a cluster allows only within one hash slot.
 */
export class QueueConnection {
  private constructor(
    readonly kind: 'redis' | 'postgres',
    private readonly connection: object,
    /** The BullMQ key prefix (Redis only). */
    readonly prefix: string | undefined,
    private readonly backend: BackendFactory<any, any> | undefined,
    /** On a Redis Cluster. */
    readonly cluster = false,
  ) {}

  static fromConfig(config: AppConfig, databaseUrl: string): QueueConnection {
    if (config.REDIS_URL && parseRedisUrl(config.REDIS_URL).cluster) {
      return new QueueConnection('redis', {}, `{${config.QUEUE_PREFIX}}`, clusterBackend(config.REDIS_URL), true);
    }
    if (config.REDIS_URL) return new QueueConnection('redis', redisOptions(config.REDIS_URL), config.QUEUE_PREFIX, undefined);
    // The backend migrates its own schema (advisory-locked) on first connect. Each
    // Queue/Worker owns a small pool plus one LISTEN connection.
    const connection = { connectionString: databaseUrl, schema: POSTGRES_QUEUE_SCHEMA, migrate: true, max: 3 };
    return new QueueConnection('postgres', connection, undefined, createPostgresBackend);
  }

  /** A human-readable description for logs (no credentials). */
  describe(): string {
    if (this.kind === 'postgres') return `PostgreSQL (schema "${POSTGRES_QUEUE_SCHEMA}")`;
    return `${this.cluster ? 'Redis Cluster' : 'Redis'} (prefix "${this.prefix}")`;
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

/**
 * BullMQ's Redis backend, each on a Cluster client of its own. BullMQ connects to a cluster
 * only through a ready-made client, and leaves such a client open when it closes (it closes
 * only the connections it made itself, like a worker's blocking duplicate): closing the
 * backend quits its client too, so nothing outlives the Queue, Worker or FlowProducer.
 */
function clusterBackend(url: string): BackendFactory<any, any> {
  return (name, opts, flags) => {
    // BullMQ wants its clients to retry commands forever (its own loops handle failures).
    const client = createRedisClient(url, { maxRetriesPerRequest: null });
    // BullMQ listens for its errors while it uses the client (and re-emits them on the Queue
    // or Worker); this keeps one that comes while the client quits from being "unhandled".
    client.on('error', () => undefined);
    const backend = createRedisBackend(name, { ...opts, connection: client as never }, flags);
    const close = backend.close.bind(backend);
    const disconnect = backend.disconnect.bind(backend);
    let closing: Promise<void> | undefined;
    backend.close = (force?: boolean) => (closing ??= close(force).finally(() => closeRedis(client)));
    backend.disconnect = async () => {
      await disconnect();
      client.disconnect();
    };
    return backend;
  };
}
