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
