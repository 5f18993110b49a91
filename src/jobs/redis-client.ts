import Redis, { Cluster, ClusterOptions, RedisOptions, StandaloneConnectionOptions } from 'ioredis';
import StandaloneConnector from 'ioredis/built/connectors/StandaloneConnector';
import { closeHandler } from 'ioredis/built/redis/event_handler';

/** A connection to one Redis server or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * What REDIS_URL names: one server (`redis://`, `rediss://` with TLS), or a Redis Cluster
 * (`redis+cluster://`, `rediss+cluster://`) by one or more of its nodes, comma-separated:
 * `redis+cluster://[user:password@]host:port[,host:port…]`. The client finds the other
 * nodes and the slot map from any of them.
 */
export interface RedisTarget {
  cluster: boolean;
  nodes: { host: string; port: number }[];
  /** Per-connection options (credentials, database, TLS), for the server or for every cluster node. */
  options: RedisOptions;
}

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/?#]*)@)?([^/?#]+)\/?$/;

/** Parses REDIS_URL; throws an Error saying what is wrong (no credentials in the message). */
export function parseRedisUrl(url: string): RedisTarget {
  const cluster = CLUSTER_URL.exec(url);
  if (cluster) {
    const [, scheme, userinfo, hosts] = cluster;
    const nodes = hosts.split(',').map((hostPort) => {
      const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(hostPort.trim());
      const port = Number(m?.[2] ?? 6379);
      if (!m || port < 1 || port > 65535) throw new Error('a cluster node must be host:port');
      return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
    });
    const [username, password] = userinfo ? splitUserinfo(userinfo) : [undefined, undefined];
    return { cluster: true, nodes, options: credentials(username, password, scheme === 'rediss') };
  }
  if (/^rediss?\+/.test(url)) throw new Error('a cluster URL is redis+cluster://host:port[,host:port…] (no database number: a cluster has only database 0)');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('not a valid URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error('must be a redis:// connection string');
  return {
    cluster: false,
    nodes: [{ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) }],
    options: {
      ...credentials(u.username ? decodeURIComponent(u.username) : undefined, u.password ? decodeURIComponent(u.password) : undefined, u.protocol === 'rediss:'),
      ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    },
  };
}

function splitUserinfo(userinfo: string): [string | undefined, string | undefined] {
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const password = colon < 0 ? undefined : userinfo.slice(colon + 1);
  return [user ? decodeURIComponent(user) : undefined, password ? decodeURIComponent(password) : undefined];
}

function credentials(username: string | undefined, password: string | undefined, tls: boolean): RedisOptions {
  return { ...(username ? { username } : {}), ...(password ? { password } : {}), ...(tls ? { tls: {} } : {}) };
}

/** Reconnect at most 2 s apart (ioredis would back off to 20 s), so workers resume soon after Redis comes back. */
const retryStrategy = (attempt: number) => Math.min(attempt * 200, 2000);

/**
 * How long ioredis waits, after disconnect(), for a socket to close before destroying it
 * (a half-open socket whose peer is gone never closes by itself). Its timer is ref'd, so it
 * also holds the process that long: 2 s by default, longer than Jest waits for a worker to exit.
 */
const DISCONNECT_TIMEOUT_MS = 200;

/**
 * ioredis's own connector, except that disconnecting leaves nothing behind when the socket
 * has already closed. ioredis arms its disconnect timer on the connector's last socket even
 * when that socket is long gone (a connection waiting to reconnect while Redis is down, or
 * just starting its next attempt), and no 'close' will ever clear it: the timer ran out in
 * full and held the process (Jest force-exited its worker). Every client made from
 * `redisOptions`/`createRedisClient` uses it, BullMQ's own connections included.
 */
class ClosingConnector extends StandaloneConnector {
  // ioredis passes a client's whole options (ConnectorConstructor takes `unknown`).
  constructor(options: unknown) {
    super(options as StandaloneConnectionOptions);
  }

  override disconnect(): void {
    if (this.stream?.destroyed) {
      // What the base class does besides the timer: a pending attempt gives up.
      this.connecting = false;
      return;
    }
    super.disconnect();
  }
}

/**
 * disconnect() of a connection that waits to reconnect (Redis is down) cancels the retry but
 * never finishes: ioredis ends a connection when its socket closes, and that socket closed
 * long ago. It stayed 'reconnecting' for good, without 'end', its offline queue never
 * flushed, so a BullMQ worker's close() (which waits for its blocking connection to end)
 * never returned, and neither did app.close() or a SIGTERM'd process. This ends it the way
 * ioredis ends a connection that was never opened (the fix proposed upstream,
 * redis/ioredis#2169). Patched on the class: BullMQ makes its own clients of it.
 */
const disconnect = Redis.prototype.disconnect;
Redis.prototype.disconnect = function (this: Redis, reconnect = false) {
  const waiting = !reconnect && this.status === 'reconnecting';
  disconnect.call(this, reconnect);
  if (waiting && this.status === 'reconnecting') closeHandler(this)();
};

/** ioredis options for one server named by a redis:// URL (what BullMQ gets for a single server). */
export function redisOptions(url: string): RedisOptions {
  const { nodes, options } = parseRedisUrl(url);
  return { ...nodes[0], ...options, retryStrategy, disconnectTimeout: DISCONNECT_TIMEOUT_MS, Connector: ClosingConnector };
}

/**
 * A client for REDIS_URL: a `Redis` for one server, a `Cluster` for a cluster. `options` are
 * per-connection options (applied to every node of a cluster); `keyPrefix` and
 * `enableOfflineQueue` apply to the client as a whole.
 */
export function createRedisClient(url: string, options: RedisOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  if (!target.cluster) return new Redis({ ...redisOptions(url), ...options });
  const { keyPrefix, enableOfflineQueue, lazyConnect, retryStrategy: clusterRetry, ...perNode } = options;
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...target.options, disconnectTimeout: DISCONNECT_TIMEOUT_MS, Connector: ClosingConnector, ...perNode },
    clusterRetryStrategy: clusterRetry ?? retryStrategy,
    ...(keyPrefix !== undefined ? { keyPrefix } : {}),
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    ...(lazyConnect !== undefined ? { lazyConnect } : {}),
  };
  return new Cluster(target.nodes, clusterOptions);
}

/**
 * Closes a Redis or Cluster connection for good and resolves once its sockets have closed.
 * QUIT has Redis close them at once; a bare disconnect() only half-closes a socket and arms
 * ioredis's disconnect timer until it closes. Closing twice is harmless.
 */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    // Not connected (e.g. waiting to reconnect while Redis is down): nothing to QUIT, and
    // no 'end' to wait for; this cancels the next attempt (and one just starting).
    redis.disconnect();
    return;
  }
  const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
  await redis.quit().catch(() => redis.disconnect());
  await ended;
}
