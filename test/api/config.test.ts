import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { AppConfig, ConfigError, loadConfig } from '../../src/config/app-config';

import { randomBytes } from 'node:crypto';
import { DEVELOPMENT_JWT_SECRET } from '../../src/config/app-config';

const SECRET = randomBytes(32).toString('base64');
const METRICS_TOKEN = 'metrics-token-0123456789';
const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: SECRET, DATABASE_URL: 'postgres://cb@db.example:5432/cb', METRICS_TOKEN };
/** Development, for the checks that are not about production. */
const DEV = { NODE_ENV: 'development' };

/** The message loadConfig stops the service with, or undefined when it accepts `env`. */
function refusal(env: Record<string, string>): string | undefined {
  try {
    loadConfig(env);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
}

/** `| \`NAME\`, \`NAME2\` | default | meaning |` rows of the README's configuration table. */
function readmeConfigurationTable(): Map<string, string> {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0];
  if (!section) throw new Error('README.md has no "## Configuration" section');
  const table = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1].startsWith('`')) continue;
    for (const [, name] of cells[1].matchAll(/`([A-Z0-9_]+)`/g)) table.set(name, cells[2]);
  }
  return table;
}

/** Every property of AppConfig, i.e. every variable the service reads. */
function configVariables(): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(AppConfig, '', true, false);
  return [...new Set(metadata.map((m) => m.propertyName))].sort();
}

describe('configuration', () => {
  it.each<[string, Record<string, string>, RegExp]>([
    ['PORT that is not a number', { PORT: 'abc' }, /^ {2}- PORT: .*\(got "abc"\)$/m],
    ['PORT out of range', { PORT: '70000' }, /^ {2}- PORT: /m],
    ['PORT zero', { PORT: '0' }, /^ {2}- PORT: /m],
    ['PORT with a fraction', { PORT: '80.5' }, /^ {2}- PORT: /m],
    ['an unknown NODE_ENV', { NODE_ENV: 'staging' }, /^ {2}- NODE_ENV: .*"staging"/m],
    ['a DATABASE_URL that is not PostgreSQL', { DATABASE_URL: 'mysql://db/cb' }, /^ {2}- DATABASE_URL: must be a postgres:\/\/ connection string/m],
    ['a DATABASE_POOL_SIZE of 0', { DATABASE_POOL_SIZE: '0' }, /^ {2}- DATABASE_POOL_SIZE: /m],
    ['an EMBEDDED_PG_PORT that is not a port', { EMBEDDED_PG_PORT: 'postgres' }, /^ {2}- EMBEDDED_PG_PORT: /m],
    ['a REDIS_URL that is not Redis', { REDIS_URL: 'http://redis:6379' }, /^ {2}- REDIS_URL: must be a redis:\/\/, rediss:\/\/ or redis\+cluster:\/\/ connection string/m],
    ['a cluster REDIS_URL with a database number', { REDIS_URL: 'redis+cluster://redis-1:7000/2' }, /^ {2}- REDIS_URL: a cluster URL is redis\+cluster:\/\/host:port/m],
    ['a cluster REDIS_URL with a node that has no port', { REDIS_URL: 'redis+cluster://redis-1:7000,redis-2:port' }, /^ {2}- REDIS_URL: a cluster node must be host:port/m],
    ['a REDIS_URL that is a bare host', { REDIS_URL: 'localhost:6379' }, /^ {2}- REDIS_URL: /m],
    ['a QUEUE_PREFIX with spaces', { QUEUE_PREFIX: 'my queues' }, /^ {2}- QUEUE_PREFIX: /m],
    ['a QUEUE_PREFIX that is too long', { QUEUE_PREFIX: 'q'.repeat(41) }, /^ {2}- QUEUE_PREFIX: /m],
    ['a RUN_MIGRATIONS that is not a boolean', { RUN_MIGRATIONS: 'nope' }, /^ {2}- RUN_MIGRATIONS: .*"nope"/m],
    ['a WORKERS_IN_PROCESS that is misspelt', { WORKERS_IN_PROCESS: 'flase' }, /^ {2}- WORKERS_IN_PROCESS: .*"flase"/m],
    ['a DEV_LOGIN_ENABLED of "yes"', { DEV_LOGIN_ENABLED: 'yes' }, /^ {2}- DEV_LOGIN_ENABLED: /m],
    ['a JWT_SECRET that is too short', { JWT_SECRET: 'short' }, /^ {2}- JWT_SECRET: /m],
    ['a JWT_TTL_SECONDS below a minute', { JWT_TTL_SECONDS: '10' }, /^ {2}- JWT_TTL_SECONDS: /m],
    ['a JWT_TTL_SECONDS that is not a number', { JWT_TTL_SECONDS: '12h' }, /^ {2}- JWT_TTL_SECONDS: /m],
    ['a web app id without its secret', { WECHAT_WEB_APPID: 'wx-web' }, /^ {2}- WECHAT_WEB_APPID \/ WECHAT_WEB_SECRET: set both or neither$/m],
    ['a web secret without its app id', { WECHAT_WEB_SECRET: 'secret' }, /^ {2}- WECHAT_WEB_APPID \/ WECHAT_WEB_SECRET: set both or neither$/m],
    ['a WECHAT_API_BASE_URL that is not http(s)', { WECHAT_API_BASE_URL: 'ftp://api.weixin.qq.com' }, /^ {2}- WECHAT_API_BASE_URL: /m],
    ['a WECHAT_API_BASE_URL that is no URL', { WECHAT_API_BASE_URL: 'api.weixin.qq.com' }, /^ {2}- WECHAT_API_BASE_URL: /m],
    ['WECHAT_APPID without WECHAT_SECRET', { WECHAT_APPID: 'wx123' }, /WECHAT_APPID \/ WECHAT_SECRET: set both or neither/],
    ['WECHAT_SECRET without WECHAT_APPID', { WECHAT_SECRET: 'secret' }, /WECHAT_APPID \/ WECHAT_SECRET: set both or neither/],
    ['an unknown LOG_LEVEL', { LOG_LEVEL: 'verbose' }, /^ {2}- LOG_LEVEL: /m],
  ])('refuses %s, naming the variable', (_, env, message) => {
    expect(refusal({ ...DEV, ...env })).toMatch(message);
  });

  it('treats an unset NODE_ENV as production: no development secret, no development login', () => {
    const message = refusal({ DATABASE_URL: PRODUCTION.DATABASE_URL, DEV_LOGIN_ENABLED: 'true' })!;
    expect(message).toMatch(/^ {2}- JWT_SECRET: is required when NODE_ENV=production/m);
    expect(message).toMatch(/^ {2}- DEV_LOGIN_ENABLED: must not be true/m);
    const { NODE_ENV: _, ...unset } = PRODUCTION;
    expect(loadConfig(unset).NODE_ENV).toBe('production');
  });

  it.each<[string, string]>([
    ['the published development secret', DEVELOPMENT_JWT_SECRET],
    ['the development secret with a suffix', `${DEVELOPMENT_JWT_SECRET}-2`],
    ['one repeated character', 'x'.repeat(64)],
    ['a repeated word', 'password'.repeat(8)],
    ['a short alphabet', 'abab'.repeat(16)],
    ['digits counting up', '0123456789'.repeat(4)],
    ['a sentence', 'the-civilization-bank-secret-key'],
    ['31 random bytes', randomBytes(31).toString('latin1').slice(0, 31)],
  ])('refuses %s as the production JWT_SECRET, without echoing it', (_, secret) => {
    const message = refusal({ ...PRODUCTION, JWT_SECRET: secret })!;
    expect(message).toMatch(/^ {2}- JWT_SECRET: /m);
    expect(message).not.toContain(secret);
    expect(message).not.toContain(secret.slice(0, 12));
  });

  it('accepts 32 or more random bytes in base64 or hex, whatever their draw', () => {
    for (let i = 0; i < 200; i++) {
      expect(refusal({ ...PRODUCTION, JWT_SECRET: randomBytes(32 + (i % 16)).toString(i % 2 ? 'hex' : 'base64') })).toBeUndefined();
    }
  });

  it('never echoes a secret or a connection string in a refusal', () => {
    const values = {
      JWT_SECRET: 'short-but-secret',
      WECHAT_SECRET: '',
      METRICS_TOKEN: 'tiny-token',
      DATABASE_URL: 'mysql://admin:hunter2-password@db/cb',
      REDIS_URL: 'http://:redis-password@redis:6379',
    };
    const message = refusal({ ...DEV, ...values })!;
    for (const name of ['JWT_SECRET', 'METRICS_TOKEN', 'DATABASE_URL', 'REDIS_URL']) expect(message).toMatch(new RegExp(`^ {2}- ${name}: `, 'm'));
    for (const secret of ['short-but-secret', 'tiny-token', 'hunter2', 'redis-password']) expect(message).not.toContain(secret);
  });

  it('refuses production without METRICS_TOKEN', () => {
    const { METRICS_TOKEN: _, ...without } = PRODUCTION;
    expect(refusal(without)).toContain('METRICS_TOKEN: is required when NODE_ENV=production');
  });

  it.each<[string, Record<string, string>, string]>([
    ['JWT_SECRET', { NODE_ENV: 'production', DATABASE_URL: PRODUCTION.DATABASE_URL, METRICS_TOKEN }, 'JWT_SECRET: is required when NODE_ENV=production'],
    ['DATABASE_URL', { NODE_ENV: 'production', JWT_SECRET: SECRET, METRICS_TOKEN }, 'DATABASE_URL: is required when NODE_ENV=production'],
  ])('refuses production without %s', (_, env, message) => {
    expect(refusal(env)).toContain(message);
    expect(refusal(PRODUCTION)).toBeUndefined();
  });

  it('refuses the development login in production', () => {
    expect(refusal({ ...PRODUCTION, DEV_LOGIN_ENABLED: 'true' })).toContain('DEV_LOGIN_ENABLED: must not be true when NODE_ENV=production');
  });

  it('lists every problem at once', () => {
    const message = refusal({ NODE_ENV: 'production', PORT: 'x', REDIS_URL: 'nope' })!;
    for (const name of ['PORT', 'REDIS_URL', 'JWT_SECRET', 'DATABASE_URL']) expect(message).toMatch(new RegExp(`^ {2}- ${name}: `, 'm'));
  });

  it('reads booleans written as true/false or 1/0', () => {
    expect(loadConfig({ ...DEV, DEV_LOGIN_ENABLED: '1', WORKERS_IN_PROCESS: '0', RUN_MIGRATIONS: 'false' })).toMatchObject({
      DEV_LOGIN_ENABLED: true,
      WORKERS_IN_PROCESS: false,
      RUN_MIGRATIONS: false,
    });
  });

  it('applies migrations at start-up by default, except in production', () => {
    expect(loadConfig(DEV).RUN_MIGRATIONS).toBe(true);
    expect(loadConfig(PRODUCTION).RUN_MIGRATIONS).toBe(false);
    expect(loadConfig({ ...PRODUCTION, RUN_MIGRATIONS: 'true' }).RUN_MIGRATIONS).toBe(true);
  });

  describe('.env.example and docker/compose.yml', () => {
    const repo = join(__dirname, '../..');

    it('.env.example lists every variable, after a comment, with the default the service uses', () => {
      const lines = readFileSync(join(repo, '.env.example'), 'utf8').split('\n');
      const defaults = loadConfig(DEV) as unknown as Record<string, unknown>;
      const variable = /^(# )?([A-Z][A-Z0-9_]+)=(.*)$/;
      const listed = new Map<string, { value: string; set: boolean; comment: string }>();
      lines.forEach((line, i) => {
        const m = variable.exec(line);
        // A variable, or a group of them, follows the comment that explains it.
        let above = i - 1;
        while (above >= 0 && variable.test(lines[above])) above--;
        if (m) listed.set(m[2], { set: !m[1], value: m[3], comment: lines[above] ?? '' });
      });
      expect([...listed.keys()].sort()).toEqual(configVariables());
      for (const [name, { set, value, comment }] of listed) {
        expect({ name, commented: comment.startsWith('#') }).toEqual({ name, commented: true });
        // Set lines carry the default; commented-out ones are unset by default, or default by NODE_ENV.
        const expected = ['NODE_ENV', 'RUN_MIGRATIONS'].includes(name) ? undefined : defaults[name];
        expect({ name, value: set ? value : undefined }).toEqual({ name, value: expected === undefined ? undefined : String(expected) });
      }
    });

    it('compose passes every variable an operator sets to the app services', () => {
      const compose = readFileSync(join(repo, 'docker/compose.yml'), 'utf8');
      // Not for compose: see the comment above its environment.
      const notForCompose = ['PORT', 'EMBEDDED_PG_DIR', 'EMBEDDED_PG_PORT', 'DEV_LOGIN_ENABLED', 'WEB_DIST_DIR', 'WORKER_HEALTH_PORT', 'RUN_MIGRATIONS'];
      const passed = configVariables().filter((name) => new RegExp(`^\\s+${name}: `, 'm').test(compose));
      expect(passed.sort()).toEqual(configVariables().filter((name) => !notForCompose.includes(name)));
    });
  });

  describe("README's configuration table", () => {
    const table = readmeConfigurationTable();

    it('documents exactly the variables the service reads', () => {
      expect([...table.keys()].sort()).toEqual(configVariables());
    });

    it('states the defaults the service uses', () => {
      // NODE_ENV's own default (production) is checked above: its other defaults need secrets.
      const defaults = loadConfig(DEV) as unknown as Record<string, unknown>;
      expect(table.get('NODE_ENV')).toBe('*(unset: production)*');
      for (const [name, documented] of table) {
        if (name === 'NODE_ENV') continue;
        const unset = /^\*\(.*\)\*$/.test(documented);
        const literal = /^`([^`]*)`/.exec(documented)?.[1];
        expect({ name, documented: unset ? undefined : literal }).toEqual({
          name,
          documented: defaults[name] === undefined ? undefined : String(defaults[name]),
        });
      }
    });

    it('names variables the service really reads from the environment', () => {
      // A valid, non-default value for each documented variable.
      const values: Record<string, string> = {
        NODE_ENV: 'test',
        PORT: '4321',
        DATABASE_URL: 'postgres://cb@db.example:5432/cb',
        DATABASE_POOL_SIZE: '7',
        DATABASE_APP_ROLE: 'cb_app',
        EMBEDDED_PG_DIR: '/tmp/cb-pg',
        EMBEDDED_PG_PORT: '54000',
        RUN_MIGRATIONS: 'false',
        REDIS_URL: 'redis://redis.example:6379',
        QUEUE_PREFIX: 'cb-test',
        WORKERS_IN_PROCESS: 'false',
        JWT_SECRET: SECRET,
        JWT_TTL_SECONDS: '600',
        WECHAT_API_BASE_URL: 'http://127.0.0.1:9999',
        WECHAT_APPID: 'wx-appid',
        WECHAT_SECRET: 'wx-secret',
        WECHAT_WEB_APPID: 'wx-web-appid',
        WECHAT_WEB_SECRET: 'wx-web-secret',
        WEB_DIST_DIR: '/srv/civilization-bank/web',
        DEV_LOGIN_ENABLED: 'true',
        LOG_LEVEL: 'debug',
        GRAPHQL_MAX_DEPTH: '7',
        GRAPHQL_MAX_COST: '900',
        GRAPHQL_MAX_ALIASES: '9',
        GRAPHQL_MAX_DIRECTIVES: '4',
        GRAPHQL_MAX_TOKENS: '1500',
        GRAPHQL_MAX_ROOT_FIELDS: '6',
        RATE_LIMIT_READS_PER_MINUTE: '300',
        RATE_LIMIT_LOGINS_PER_MINUTE: '5',
        RATE_LIMIT_MUTATIONS_PER_MINUTE: '30',
        RATE_LIMIT_PUBLIC_PER_MINUTE: '20',
        PUBLIC_BASE_URL: 'https://bank.example.cn',
        CERTIFICATE_FONT: '/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf',
        METRICS_TOKEN: 'metrics-token-0123456789',
        WORKER_CONCURRENCY: '2',
        WORKER_HEALTH_PORT: '3101',
        JOB_LOCK_MS: '15000',
        THEME_PUBLISH_TIME: '06:30',
        TRUST_PROXY: 'loopback',
        NOTIFY_QUIET_HOURS: '21:30-06:45',
        NOTIFY_SWEEP_SECONDS: '15',
        NOTIFY_WECHAT_BACKOFF_MS: '30000',
        WECHAT_TEMPLATE_THEMES: 'tmpl-themes',
        WECHAT_TEMPLATE_PROMOTED: 'tmpl-promoted',
        WECHAT_TEMPLATE_REMINDER: 'tmpl-reminder',
        WECHAT_TEMPLATE_POINTS: 'tmpl-points',
        WECHAT_TEMPLATE_COURSE_CANCELLED: 'tmpl-course',
        WECHAT_TEMPLATE_SETTLEMENT: 'tmpl-settlement',
        WECHAT_MINIPROGRAM_STATE: 'trial',
      };
      expect(Object.keys(values).sort()).toEqual([...table.keys()].sort());
      const config = loadConfig(values) as unknown as Record<string, unknown>;
      for (const [name, value] of Object.entries(values)) expect({ name, value: String(config[name]) }).toEqual({ name, value });
    });
  });
});
