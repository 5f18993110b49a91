import { plainToInstance, Transform } from 'class-transformer';
import { deflateRawSync } from 'node:zlib';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { parseRedisUrl } from '../jobs/redis-client';

/** 'true'/'1' and 'false'/'0'; anything else is kept as typed, so @IsBoolean names the variable. */
const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/**
 * Every environment variable the service reads, with its default. The README's
 * configuration table documents the same list; test/api/config.test.ts fails when
 * the two drift apart.
 */
export class AppConfig {
  /**
   * Unset means production: a deployment that forgets it gets production's refusals (no
   * development secret, no development login), not development's leniency. `npm start`,
   * `npm run cli` and `npm run seed:demo` set `development` when it is unset.
   */
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'production';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3000;

  /** PostgreSQL connection string. Unset: an embedded PostgreSQL is started under EMBEDDED_PG_DIR. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// connection string' })
  DATABASE_URL?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(500)
  DATABASE_POOL_SIZE = 20;

  /**
   * The role the API and worker connect as when migrations run as an owner role: after
   * migrating, `migrate` grants it what it needs (src/database/app-role-grants.ts).
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'must be a plain lower-case role name' })
  DATABASE_APP_ROLE?: string;

  @IsString()
  EMBEDDED_PG_DIR = '.data/postgres';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  EMBEDDED_PG_PORT = 54329;

  /**
   * Redis for the job queues and rate-limit counters: `redis://` (`rediss://` for TLS), or a
   * Redis Cluster as `redis+cluster://host:port[,host:port…]` (`rediss+cluster://`).
   * Unset: queues run on PostgreSQL (BullMQ's PostgreSQL backend).
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?(\+cluster)?:\/\//, { message: 'must be a redis://, rediss:// or redis+cluster:// connection string' })
  REDIS_URL?: string;

  /** Prefix of every queue key, so several deployments (or test runs) can share one Redis. */
  @IsString()
  @Matches(/^[a-zA-Z0-9_-]{1,40}$/, { message: 'must be 1-40 letters, digits, _ or -' })
  QUEUE_PREFIX = 'cb';

  /** Apply pending migrations at start-up. Default: true, except in production (run `migrate` once per deploy). */
  @Transform(toBoolean)
  @IsOptional()
  @IsBoolean()
  RUN_MIGRATIONS?: boolean;

  /** Run the job workers inside the API process (`npm start`). Production runs them with `npm run start:worker`. */
  @Transform(toBoolean)
  @IsBoolean()
  WORKERS_IN_PROCESS = true;

  /** Jobs processed at once per queue by each worker process. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  WORKER_CONCURRENCY = 4;

  /** Port of the worker process's `/health` endpoint (`npm run start:worker`); 0 picks a free port. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  WORKER_HEALTH_PORT = 3001;

  /**
   * How long a worker holds a job without renewing its lock; a worker that dies
   * (SIGKILL, lost host) has its jobs picked up by another worker after about this long.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  JOB_LOCK_MS = 30_000;

  /** Asia/Shanghai time of day (HH:MM) at which each month's theme lists are published on the 1st. */
  @Matches(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be HH:MM (24-hour, Asia/Shanghai)' })
  THEME_PUBLISH_TIME = '00:05';

  /**
   * HMAC secret for access tokens: at least 32 random bytes (e.g. `openssl rand -base64 48`).
   * Required in production, where a guessable or published one is refused (see jwtSecretProblem).
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32)
  JWT_SECRET?: string;

  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(30 * 24 * 3600)
  JWT_TTL_SECONDS = 12 * 3600;

  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  WECHAT_API_BASE_URL = 'https://api.weixin.qq.com';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  WECHAT_APPID?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  WECHAT_SECRET?: string;

  /**
   * The WeChat official account (公众号) whose web authorisation (`snsapi_base`) signs
   * residents into the web app inside WeChat's browser. A different app from the
   * mini-program's, so its own id and secret; both or neither.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  WECHAT_WEB_APPID?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  WECHAT_WEB_SECRET?: string;

  /**
   * Quiet hours, Asia/Shanghai, `HH:MM-HH:MM` (may wrap midnight): WeChat messages that are
   * not urgent wait until the end (the inbox still gets them at once). Empty: none.
   */
  @Matches(/^$|^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be HH:MM-HH:MM (Asia/Shanghai), or empty' })
  NOTIFY_QUIET_HOURS = '22:00-07:00';

  /** How often (seconds) the notification sweep re-queues what a lost job or a crash left undelivered. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  NOTIFY_SWEEP_SECONDS = 30;

  /** First wait (ms) after WeChat's rate limit (45009) or an unreachable WeChat; doubles per attempt, up to an hour. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  NOTIFY_WECHAT_BACKOFF_MS = 60_000;

  /** Subscription-message template ids (mini-program 订阅消息) per kind; unset: that kind goes to the inbox only. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  WECHAT_TEMPLATE_THEMES?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  WECHAT_TEMPLATE_PROMOTED?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  WECHAT_TEMPLATE_REMINDER?: string;

  /** One template for points minted, spent and refunded (积分变动提醒). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  WECHAT_TEMPLATE_POINTS?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  WECHAT_TEMPLATE_COURSE_CANCELLED?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  WECHAT_TEMPLATE_SETTLEMENT?: string;

  /** Which mini-program a message opens: formal (released), trial or developer. */
  @IsIn(['formal', 'trial', 'developer'])
  WECHAT_MINIPROGRAM_STATE: 'formal' | 'trial' | 'developer' = 'formal';

  /** The built web app (`vite build` output) served at `/`; relative to the working directory. */
  @IsString()
  WEB_DIST_DIR = 'web/dist';

  /** Enables the `devLogin` mutation. Refused whenever NODE_ENV=production. */
  @Transform(toBoolean)
  @IsBoolean()
  DEV_LOGIN_ENABLED = false;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Deepest field nesting a GraphQL operation may have (QUERY_TOO_COMPLEX beyond). */
  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(50)
  GRAPHQL_MAX_DEPTH = 10;

  /** Highest cost of one GraphQL operation: 1 per field, lists times their page size. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(1_000_000)
  GRAPHQL_MAX_COST = 5000;

  /** WeChat login and binding attempts per minute from one client address. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  RATE_LIMIT_LOGINS_PER_MINUTE = 10;

  /** Most aliases in one GraphQL document (GraphQL Armor's max-aliases). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  GRAPHQL_MAX_ALIASES = 15;

  /** Most directives in one GraphQL document (GraphQL Armor's max-directives). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  GRAPHQL_MAX_DIRECTIVES = 10;

  /** Most lexical tokens in one GraphQL document: the parser stops there. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(100_000)
  GRAPHQL_MAX_TOKENS = 2000;

  /** Most root fields (queries or mutations) in one operation. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  GRAPHQL_MAX_ROOT_FIELDS = 15;

  /** Root query fields per minute by one signed-in person (per client address when anonymous). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_READS_PER_MINUTE = 600;

  /** Mutations per minute by one signed-in person. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_MUTATIONS_PER_MINUTE = 120;

  /** Requests per minute from one client address to the public pages (the statements under /public). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_PUBLIC_PER_MINUTE = 60;

  /**
   * The address residents reach the service at, e.g. `https://bank.example.gov.cn`: the QR
   * code on a printed statement points here. Unset: the request's Host header over http.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  PUBLIC_BASE_URL?: string;

  /**
   * The Chinese font embedded (subset) in every 志愿服务记录证明 PDF, so it reads the same
   * on any machine: a .ttf/.otf file, or Debian's `fonts-wqy-microhei` collection (.ttc,
   * its WenQuanYiMicroHei face), the font the printed statement uses.
   */
  @IsString()
  CERTIFICATE_FONT = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';

  /**
   * Fastify's `trustProxy`: which proxies' X-Forwarded-For to believe for the client address
   * (login rate limits are per address). E.g. `1` (one proxy in front), `loopback`, a CIDR.
   * Unset: the socket's address.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^(\d{1,2}|loopback|linklocal|uniquelocal|[0-9a-fA-F.:\/]+(,\s*[0-9a-fA-F.:\/]+)*)$/, {
    message: 'must be a hop count, loopback/linklocal/uniquelocal, or addresses/CIDRs',
  })
  TRUST_PROXY?: string;

  /** When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>`. Required in production. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16)
  METRICS_TOKEN?: string;
}

export class ConfigError extends Error {}

/** Variables whose values never appear in an error message (a refusal is logged). */
const SECRET_VARIABLES = new Set(['JWT_SECRET', 'WECHAT_SECRET', 'WECHAT_WEB_SECRET', 'METRICS_TOKEN', 'DATABASE_URL', 'REDIS_URL']);

/** The secret `npm start` signs with when JWT_SECRET is unset: it is in this public repository. */
export const DEVELOPMENT_JWT_SECRET = 'civilization-bank-development-secret-not-for-production';

/** Bits of entropy a production JWT_SECRET must show: 32 random bytes hold 256. */
const MIN_SECRET_BITS = 160;

/**
 * Why a production JWT secret is unfit, or undefined. The estimate is the lower of two
 * measures: the secret's length times the Shannon entropy of its characters (low for a
 * small alphabet: "abab…", digits) and its size compressed (low for repetition:
 * "passwordpassword…"). Random base64 of 32 bytes scores ~220 bits, hex ~240. It cannot
 * see that a secret was published, so the known development secret is refused by name.
 */
export function jwtSecretProblem(secret: string): string | undefined {
  if (secret.includes(DEVELOPMENT_JWT_SECRET)) return 'is the published development secret';
  if (Buffer.byteLength(secret) < 32) return 'must be at least 32 bytes';
  const counts = new Map<string, number>();
  for (const c of secret) counts.set(c, (counts.get(c) ?? 0) + 1);
  const length = [...secret].length;
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / length) * Math.log2(n / length);
  const bits = Math.floor(Math.min(perChar * length, deflateRawSync(secret, { level: 9 }).length * 8));
  if (bits < MIN_SECRET_BITS) {
    return `looks guessable (about ${bits} bits of entropy, at least ${MIN_SECRET_BITS} wanted): use 32+ random bytes, e.g. openssl rand -base64 48`;
  }
  return undefined;
}

/** Validates `env` into an AppConfig, or throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const known = Object.keys(new AppConfig()).concat(['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'WECHAT_APPID', 'WECHAT_SECRET', 'WECHAT_WEB_APPID', 'WECHAT_WEB_SECRET', 'RUN_MIGRATIONS', 'METRICS_TOKEN', 'TRUST_PROXY', 'DATABASE_APP_ROLE', 'PUBLIC_BASE_URL',
    'WECHAT_TEMPLATE_THEMES', 'WECHAT_TEMPLATE_PROMOTED', 'WECHAT_TEMPLATE_REMINDER', 'WECHAT_TEMPLATE_POINTS', 'WECHAT_TEMPLATE_COURSE_CANCELLED', 'WECHAT_TEMPLATE_SETTLEMENT']);
  const got = (name: string) =>
    SECRET_VARIABLES.has(name) ? `got a value of ${String(raw[name] ?? '').length} characters` : `got ${JSON.stringify(raw[name])}`;
  const raw: Record<string, unknown> = {};
  for (const key of known) if (env[key] !== undefined) raw[key] = env[key];
  const config = plainToInstance(AppConfig, raw);
  const problems = validateSync(config, { forbidUnknownValues: true }).map(
    // The value as set in the environment: the converted one reads `null` for PORT=abc.
    (e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')} (${got(e.property)})`,
  );
  if (config.NODE_ENV === 'production') {
    if (!config.JWT_SECRET) problems.push('JWT_SECRET: is required when NODE_ENV=production (NODE_ENV unset means production)');
    else if (jwtSecretProblem(config.JWT_SECRET)) problems.push(`JWT_SECRET: ${jwtSecretProblem(config.JWT_SECRET)}`);
    if (!config.METRICS_TOKEN) problems.push('METRICS_TOKEN: is required when NODE_ENV=production (GET /metrics would be open)');
    if (config.DEV_LOGIN_ENABLED) problems.push('DEV_LOGIN_ENABLED: must not be true when NODE_ENV=production');
    if (!config.DATABASE_URL) problems.push('DATABASE_URL: is required when NODE_ENV=production (the embedded PostgreSQL is for development)');
  }
  if (config.REDIS_URL && !problems.some((p) => p.startsWith('REDIS_URL:'))) {
    try {
      parseRedisUrl(config.REDIS_URL);
    } catch (error) {
      problems.push(`REDIS_URL: ${(error as Error).message} (${got('REDIS_URL')})`);
    }
  }
  if (Boolean(config.WECHAT_APPID) !== Boolean(config.WECHAT_SECRET)) {
    problems.push('WECHAT_APPID / WECHAT_SECRET: set both or neither');
  }
  if (Boolean(config.WECHAT_WEB_APPID) !== Boolean(config.WECHAT_WEB_SECRET)) {
    problems.push('WECHAT_WEB_APPID / WECHAT_WEB_SECRET: set both or neither');
  }
  config.RUN_MIGRATIONS ??= config.NODE_ENV !== 'production';
  if (problems.length) {
    throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return config;
}
