import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  validateSync,
  ValidationError,
} from 'class-validator';
import { MIN_PRODUCTION_KEY_LENGTH, parseAdminKeys } from '../../admin/auth/admin-keys.js';
import type { WebhookSource } from '../../shared/sources/webhook-source.js';
import { readWebhookSources } from '../../shared/sources/source-environment.js';
import { DEFAULT_DATABASE_URL } from '../../database/default-database-url.js';
import { parseWebhookSecrets } from '../../shared/signature/standard-webhooks.verifier.js';

export const APP_ROLES = ['api', 'worker', 'all'] as const;
export type AppRole = (typeof APP_ROLES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const DURATION = /^(\d{1,9})(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

function durationMs(value: string): number {
  const [, amount, unit] = DURATION.exec(value)!;
  return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
}

const blankToUndefined = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/**
 * Every setting the service reads from the environment, with its default.
 * Validated once at start (see loadConfig); the rest of the app injects this class.
 */
export class AppConfig {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /**
   * Default: 0.0.0.0 in production, 127.0.0.1 otherwise, so a development run without
   * WEBHOOK_SECRET (which accepts unsigned webhooks) is never reachable from the network.
   */
  @IsString()
  HOST = '';

  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// URL' })
  DATABASE_URL = DEFAULT_DATABASE_URL;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  /** "boot": run pending migrations at start under an advisory lock; "skip": leave them to `npm run migration:run`. */
  @IsIn(['boot', 'skip'])
  MIGRATIONS = 'boot' as 'boot' | 'skip';

  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** BullMQ key prefix. Wrap in {braces} (a hash tag) on Redis Cluster. Must not contain ':'. */
  @Matches(/^[^:\s]+$/, { message: 'must be non-empty and contain no ":" or spaces' })
  QUEUE_PREFIX = 'webhook-inbox';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /** api: ingest only; worker: run handlers (and the relay); all: both, in one process. */
  @IsIn(APP_ROLES)
  APP_ROLE: AppRole = 'all';

  /**
   * More senders besides the default one, each at POST /webhooks/<name> (comma or space separated,
   * a-z 0-9 -), configured by SOURCE_<NAME>_* (see readWebhookSources).
   */
  @IsOptional()
  @Transform(blankToUndefined)
  @IsString()
  WEBHOOK_SOURCES?: string = undefined;

  /** The sources WEBHOOK_SOURCES names, resolved by loadConfig from SOURCE_<NAME>_* (never printed: they hold secrets). */
  declare readonly webhookSources: WebhookSource[];

  /** Space-separated whsec_ secrets; several at once during a rotation. */
  @IsOptional()
  @Transform(blankToUndefined)
  @IsString()
  WEBHOOK_SECRET?: string = undefined;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86400)
  WEBHOOK_TOLERANCE_SECONDS = 300;

  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  WEBHOOK_BODY_LIMIT = 1024 * 1024;

  /** Deepest nesting of objects and arrays in a webhook body (`{}` is 1); deeper bodies get 400. */
  @Type(() => Number)
  @IsInt()
  @Min(2)
  @Max(1000)
  WEBHOOK_JSON_MAX_DEPTH = 64;

  /** Object keys in a whole webhook body, at every depth; more get 400. */
  @Type(() => Number)
  @IsInt()
  @Min(2)
  @Max(1_000_000)
  WEBHOOK_JSON_MAX_KEYS = 10_000;

  /** Array items in a whole webhook body, at every depth; more get 400. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  WEBHOOK_JSON_MAX_ARRAY_ITEMS = 10_000;

  /** How long an acknowledgement waits for its commit before it answers 503 (Retry-After). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  ACK_TIMEOUT_MS = 2000;

  /** Signature failures one client address may make per window before its failures get 429 instead of 401. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  SIGNATURE_FAILURE_LIMIT = 10;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86400)
  SIGNATURE_FAILURE_WINDOW_SECONDS = 60;

  /** Space-separated admin keys, each `name:key` (the name goes on the audit trail) or a bare key. */
  @IsOptional()
  @Transform(blankToUndefined)
  @IsString()
  ADMIN_API_KEYS?: string = undefined;

  /** How long a browser login (/admin/login) lasts. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(24 * 60)
  ADMIN_SESSION_MINUTES = 60;

  /** In production /metrics needs an admin key; true serves it to anyone who can reach the port. */
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'must be true or false' })
  METRICS_PUBLIC = false;

  /** Purge refuses a `before` later than now minus this: a number and a unit, e.g. 24h, 90m, 7d. */
  @Matches(DURATION, { message: 'must be a number and a unit (ms, s, m, h or d), e.g. 24h' })
  PURGE_MIN_AGE = '24h';

  /** In production the test webhook sends only `webhook_inbox.test`, plus the types listed here (space or comma separated). */
  @IsOptional()
  @Transform(blankToUndefined)
  @Matches(/^[^\s,]+([\s,]+[^\s,]+)*$/, { message: 'must be event types separated by spaces or commas' })
  TEST_WEBHOOK_TYPES?: string = undefined;

  @IsOptional()
  @Transform(blankToUndefined)
  @IsString()
  TLS_CERT_FILE?: string = undefined;

  @IsOptional()
  @Transform(blankToUndefined)
  @IsString()
  TLS_KEY_FILE?: string = undefined;

  /** Passed to Fastify's trustProxy: "true", a hop count, or a comma-separated list of addresses/CIDRs. */
  @IsOptional()
  @Transform(blankToUndefined)
  @IsString()
  TRUST_PROXY?: string = undefined;

  /** The URL the provider posts to; used by the test-webhook sender. Defaults to this process. */
  @IsOptional()
  @Transform(blankToUndefined)
  @Matches(/^https?:\/\/.+/, { message: 'must be an http(s):// URL' })
  PUBLIC_URL?: string = undefined;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600000)
  SHUTDOWN_GRACE_MS = 10000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3650)
  RETENTION_DAYS = 30;

  /** Operational alerts go here (Standard Webhooks, or Slack with ALERT_FORMAT=slack); none when unset. */
  @IsOptional()
  @Transform(blankToUndefined)
  @Matches(/^https?:\/\/.+/, { message: 'must be an http(s):// URL' })
  ALERT_WEBHOOK_URL?: string = undefined;

  /** The whsec_ secret alert messages are signed with (ALERT_FORMAT=standard). */
  @IsOptional()
  @Transform(blankToUndefined)
  @IsString()
  ALERT_WEBHOOK_SECRET?: string = undefined;

  @IsIn(['standard', 'slack'])
  ALERT_FORMAT: 'standard' | 'slack' = 'standard';

  /** How often each replica checks the alert conditions. */
  @Matches(DURATION, { message: 'must be a number and a unit (ms, s, m, h or d), e.g. 15s' })
  ALERT_CHECK_INTERVAL = '15s';

  /** handler.failing: the share of a handler's attempts in ALERT_HANDLER_WINDOW that failed… */
  @Type(() => Number)
  @IsNumber({}, { message: 'must be a number from 0.01 to 1' })
  @Min(0.01, { message: 'must be a number from 0.01 to 1' })
  @Max(1, { message: 'must be a number from 0.01 to 1' })
  ALERT_HANDLER_FAILURE_RATIO = 0.5;

  /** …once the handler made at least this many attempts in the window. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  ALERT_HANDLER_MIN_ATTEMPTS = 10;

  @Matches(DURATION, { message: 'must be a number and a unit (ms, s, m, h or d), e.g. 5m' })
  ALERT_HANDLER_WINDOW = '5m';

  /** backlog.stale: the oldest unfinished event is at least this old. */
  @Matches(DURATION, { message: 'must be a number and a unit (ms, s, m, h or d), e.g. 5m' })
  ALERT_BACKLOG_STALE_AFTER = '5m';

  /** signature.failures: this many refusals for a bad signature (every replica together) in ALERT_SIGNATURE_WINDOW. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  ALERT_SIGNATURE_FAILURES = 20;

  @Matches(DURATION, { message: 'must be a number and a unit (ms, s, m, h or d), e.g. 5m' })
  ALERT_SIGNATURE_WINDOW = '5m';

  /** source.silent: no event from a source for this long; unset, never. */
  @IsOptional()
  @Transform(blankToUndefined)
  @Matches(DURATION, { message: 'must be a number and a unit (ms, s, m, h or d), e.g. 6h' })
  ALERT_SOURCE_SILENT_AFTER?: string = undefined;

  get isProduction(): boolean {
    return this.NODE_ENV === 'production';
  }

  get purgeMinAgeMs(): number {
    return durationMs(this.PURGE_MIN_AGE);
  }

  get testWebhookTypes(): string[] {
    return (this.TEST_WEBHOOK_TYPES ?? '').split(/[\s,]+/).filter((type) => type.length > 0);
  }

  get runsWorkers(): boolean {
    return this.APP_ROLE !== 'api';
  }

  /** A duration setting (ALERT_*, PURGE_MIN_AGE) in milliseconds. */
  durationMs(
    setting:
      | 'ALERT_CHECK_INTERVAL'
      | 'ALERT_HANDLER_WINDOW'
      | 'ALERT_BACKLOG_STALE_AFTER'
      | 'ALERT_SIGNATURE_WINDOW'
      | 'ALERT_SOURCE_SILENT_AFTER',
  ): number | undefined {
    const value = this[setting];
    return value === undefined ? undefined : durationMs(value);
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** What is wrong with `env` as a configuration, one line per problem (none: it loads). */
export function configProblems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

/** Settings whose value is never printed, even when it is wrong. */
// A Slack webhook URL is itself a credential.
const SECRET_SETTINGS: ReadonlySet<string> = new Set([
  'ADMIN_API_KEYS',
  'WEBHOOK_SECRET',
  'ALERT_WEBHOOK_URL',
  'ALERT_WEBHOOK_SECRET',
]);
/** Settings that are URLs: printed with their password hidden. */
const URL_SETTINGS: ReadonlySet<string> = new Set(['DATABASE_URL', 'REDIS_URL']);

/** One line per bad variable, quoting the value as it was given, minus any secret in it. */
function describe(errors: ValidationError[], input: Record<string, unknown>): string[] {
  return errors.map((error) => {
    const messages = Object.values(error.constraints ?? {}).map((message) => message.replace(`${error.property} `, ''));
    return `${error.property}=${printable(error.property, String(input[error.property] ?? ''))}: ${messages.join('; ')}`;
  });
}

function printable(property: string, value: string): string {
  if (SECRET_SETTINGS.has(property)) return '<hidden>';
  return JSON.stringify(URL_SETTINGS.has(property) ? redactUrlPassword(value) : value);
}

/**
 * The value with the password of any `scheme://user:password@` part replaced, even when the rest
 * is not a valid URL (which is exactly when it gets printed).
 */
export function redactUrlPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#]*@/i, '$1:****@');
}

/** Reads and validates the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Every setting is an own property (optional ones initialised to undefined), so this is the full list.
  const known = Object.keys(new AppConfig());
  const input = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => known.includes(key) && value !== undefined && value !== ''),
  );
  const config = plainToInstance(AppConfig, input);
  const problems = describe(validateSync(config, { skipMissingProperties: false, stopAtFirstError: true }), input);
  if (config.TLS_CERT_FILE && !config.TLS_KEY_FILE)
    problems.push('TLS_KEY_FILE: must be set together with TLS_CERT_FILE');
  if (config.TLS_KEY_FILE && !config.TLS_CERT_FILE)
    problems.push('TLS_CERT_FILE: must be set together with TLS_KEY_FILE');
  if (!config.HOST) config.HOST = config.isProduction ? '0.0.0.0' : '127.0.0.1';
  problems.push(...webhookSecretProblems(config), ...adminKeyProblems(config), ...alertProblems(config));
  const sources = readWebhookSources(env, LOOPBACK.test(config.HOST));
  problems.push(...sources.problems);
  Object.defineProperty(config, 'webhookSources', { value: sources.sources, enumerable: false });
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|\[::1\]|localhost)$/i;

/** Production keys must be long enough not to be guessed; names must be usable. Keys are never printed. */
function adminKeyProblems(config: AppConfig): string[] {
  let keys: { name: string; key: string }[];
  try {
    keys = parseAdminKeys(config.ADMIN_API_KEYS);
  } catch (error) {
    return [`ADMIN_API_KEYS: ${(error as Error).message}`];
  }
  if (!config.isProduction) return [];
  return keys
    .filter(({ key }) => key.length < MIN_PRODUCTION_KEY_LENGTH)
    .map(
      ({ name, key }) =>
        `ADMIN_API_KEYS: the key named ${name} has ${key.length} characters; production needs at least ` +
        `${MIN_PRODUCTION_KEY_LENGTH} (generate one with \`openssl rand -base64 32\`)`,
    );
}

/** Production never accepts unsigned webhooks; a malformed secret is reported at start, not on the first request. */
function webhookSecretProblems(config: AppConfig): string[] {
  if (!config.WEBHOOK_SECRET) {
    if (config.isProduction) {
      return [
        'WEBHOOK_SECRET: required when NODE_ENV=production (the "whsec_..." signing secret from the provider\'s ' +
          'webhook settings; several, space separated, during a rotation)',
      ];
    }
    // Unsigned webhooks are a development convenience: never offered to the network.
    return LOOPBACK.test(config.HOST)
      ? []
      : [
          `WEBHOOK_SECRET: not set, so webhooks would be accepted unsigned, which is allowed only while the service ` +
            `listens on loopback; HOST=${config.HOST} is reachable from other machines. Set WEBHOOK_SECRET (the ` +
            `provider's "whsec_..." secret), or listen on 127.0.0.1`,
        ];
  }
  try {
    parseWebhookSecrets(config.WEBHOOK_SECRET);
    return [];
  } catch (error) {
    return [`WEBHOOK_SECRET: ${(error as Error).message.replace(/^WEBHOOK_SECRET /, '')}`];
  }
}

const MIN_ALERT_WINDOW_MS = 10_000;

/** Alert settings that are fine one by one but not together (only when alerts are on). */
function alertProblems(config: AppConfig): string[] {
  const problems: string[] = [];
  const at = (setting: Parameters<AppConfig['durationMs']>[0], min: number, why: string) => {
    const ms = DURATION.test(config[setting] ?? '') ? config.durationMs(setting) : undefined;
    if (ms !== undefined && ms < min) problems.push(`${setting}=${JSON.stringify(config[setting])}: ${why}`);
  };
  at('ALERT_CHECK_INTERVAL', 1000, 'must be at least 1s');
  at('ALERT_HANDLER_WINDOW', MIN_ALERT_WINDOW_MS, 'must be at least 10s (counts are kept in 10 s buckets)');
  at('ALERT_SIGNATURE_WINDOW', MIN_ALERT_WINDOW_MS, 'must be at least 10s (counts are kept in 10 s buckets)');
  at('ALERT_BACKLOG_STALE_AFTER', 1000, 'must be at least 1s');
  at('ALERT_SOURCE_SILENT_AFTER', 60_000, 'must be at least 1m');
  if (!config.ALERT_WEBHOOK_URL) {
    if (config.ALERT_WEBHOOK_SECRET)
      problems.push('ALERT_WEBHOOK_SECRET: set, but ALERT_WEBHOOK_URL is not (no alert would be sent)');
    return problems;
  }
  if (config.ALERT_FORMAT === 'standard') {
    if (!config.ALERT_WEBHOOK_SECRET) {
      problems.push(
        'ALERT_WEBHOOK_SECRET: required with ALERT_WEBHOOK_URL and ALERT_FORMAT=standard (a whsec_ secret the ' +
          'receiver verifies alerts with; generate one with `echo whsec_$(openssl rand -base64 32)`), or set ALERT_FORMAT=slack',
      );
    } else if (/\s/.test(config.ALERT_WEBHOOK_SECRET.trim())) {
      problems.push('ALERT_WEBHOOK_SECRET: must be one whsec_ secret (no spaces)');
    } else {
      try {
        parseWebhookSecrets(config.ALERT_WEBHOOK_SECRET);
      } catch (error) {
        problems.push(
          `ALERT_WEBHOOK_SECRET: ${(error as Error).message.replace(/^WEBHOOK_SECRET entry #1 of 1 /, '')}`,
        );
      }
    }
  }
  return problems;
}

/** For messages: the URL with its password replaced. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    return parsed.toString();
  } catch {
    return '<unparseable URL>';
  }
}
