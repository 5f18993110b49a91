import Redis, { Cluster } from 'ioredis';
import { closeRedis, createRedisClient, parseRedisUrl, redisOptions } from './redis-client';

describe('REDIS_URL', () => {
  it('names one server: host, port, credentials, database and TLS', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).toEqual({ cluster: false, nodes: [{ host: '127.0.0.1', port: 6380 }], options: { db: 2 } });
    expect(parseRedisUrl('rediss://app:p%40ss@redis.example')).toEqual({
      cluster: false,
      nodes: [{ host: 'redis.example', port: 6379 }],
      options: { username: 'app', password: 'p@ss', tls: {} },
    });
    expect(redisOptions('redis://:secret@cache:7000')).toMatchObject({ host: 'cache', port: 7000, password: 'secret' });
  });

  it('names a cluster by its seed nodes, with credentials and TLS for every node', () => {
    expect(parseRedisUrl('redis+cluster://redis-1:7000,redis-2:7001,[::1]:7002')).toEqual({
      cluster: true,
      nodes: [
        { host: 'redis-1', port: 7000 },
        { host: 'redis-2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      options: {},
    });
    expect(parseRedisUrl('rediss+cluster://:p%3Ass@redis-1:7000/')).toEqual({
      cluster: true,
      nodes: [{ host: 'redis-1', port: 7000 }],
      options: { password: 'p:ss', tls: {} },
    });
    expect(parseRedisUrl('redis+cluster://redis-1').nodes).toEqual([{ host: 'redis-1', port: 6379 }]);
  });

  it.each([
    ['a database number on a cluster', 'redis+cluster://redis-1:7000/1', /no database number/],
    ['a node with a bad port', 'redis+cluster://redis-1:7000,redis-2:70000', /host:port/],
    ['an empty node', 'redis+cluster://redis-1:7000,', /host:port/],
    ['another scheme', 'http://redis:6379', /redis:\/\//],
  ])('refuses %s', (_, url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('gives a Cluster client for a cluster URL and a Redis client otherwise, and closes either without a socket', async () => {
    const cluster = createRedisClient('redis+cluster://127.0.0.1:1,127.0.0.1:2', { lazyConnect: true, keyPrefix: 'cb:' });
    const single = createRedisClient('redis://127.0.0.1:1', { lazyConnect: true });
    expect(cluster).toBeInstanceOf(Cluster);
    expect(cluster.options.keyPrefix).toBe('cb:');
    expect(single).toBeInstanceOf(Redis);
    await Promise.all([closeRedis(cluster), closeRedis(single)]);
    // Twice is harmless.
    await Promise.all([closeRedis(cluster), closeRedis(single)]);
  });
});

describe('closing a connection while Redis is unreachable', () => {
  // Nothing listens on port 1: every attempt fails at once, and the client waits to retry.
  const UNREACHABLE = 'redis://127.0.0.1:1';
  /** Timers that keep this process alive (counted right before and after a close: nothing else runs in between). */
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const next = (redis: Redis, event: string) => new Promise<void>((resolve) => redis.once(event, () => resolve()));

  it.each([
    ['closeRedis', () => createRedisClient(UNREACHABLE) as Redis, closeRedis],
    // BullMQ closes the connections it makes from redisOptions() with a bare disconnect().
    ["BullMQ's disconnect()", () => new Redis(redisOptions(UNREACHABLE)), (r: Redis) => r.disconnect()],
  ])('%s, while it waits to reconnect, cancels the retry and arms no timer', async (_, connect, close) => {
    const redis = connect();
    redis.on('error', () => undefined);
    await next(redis, 'reconnecting');
    const before = timers();
    await close(redis);
    // The retry's timer is gone, and none took its place (ioredis used to arm its disconnect
    // timer on the socket that had already closed, and hold the process until it ran out).
    expect(timers()).toBe(before - 1);
  });

  it('closeRedis, as the next attempt starts, arms no timer', async () => {
    const redis = createRedisClient(UNREACHABLE) as Redis;
    redis.on('error', () => undefined);
    await next(redis, 'reconnecting');
    // 'connecting' comes before the new socket exists: the connector still holds the closed one.
    const before = await new Promise<number>((resolve) =>
      redis.once('connecting', () => {
        const count = timers();
        void closeRedis(redis);
        resolve(count);
      }),
    );
    await next(redis, 'end'); // the attempt gave up
    expect(timers()).toBe(before);
  });
});

describe('disconnect() of a connection waiting to reconnect', () => {
  it("ends it at once, failing what was queued (BullMQ's worker.close() waits for that 'end')", async () => {
    const redis = new Redis(redisOptions('redis://127.0.0.1:1'));
    redis.on('error', () => undefined);
    await new Promise((resolve) => redis.once('reconnecting', resolve));
    const queued = redis.ping().then(
      () => 'answered',
      (error: Error) => error.message,
    );
    const ended = new Promise((resolve) => redis.once('end', () => resolve('end')));
    redis.disconnect();
    expect(redis.status).toBe('end');
    expect(await ended).toBe('end');
    expect(await queued).toBe('Connection is closed.');
  });
});
