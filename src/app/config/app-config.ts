import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync, ValidationError } from 'class-validator';
import { DEFAULT_DATABASE_URL } from '../../database/default-database-url.js';
import { parseWebhookSecrets } from '../../shared/signature/standard-webhooks.verifier.js';

export const APP_ROLES = ['api', 'worker', 'all'] as const;
export type AppRole = (typeof APP_ROLES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

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

  @IsString()
  HOST = '0.0.0.0';

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

  /** Space-separated bearer keys for /admin. */
  @IsOptional()
  @Transform(blankToUndefined)
  @IsString()
  ADMIN_API_KEYS?: string = undefined;

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

  get isProduction(): boolean {
    return this.NODE_ENV === 'production';
  }

  get runsWorkers(): boolean {
    return this.APP_ROLE !== 'api';
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** One line per bad variable, quoting the value as it was given. */
function describe(errors: ValidationError[], input: Record<string, unknown>): string[] {
  return errors.map((error) => {
    const messages = Object.values(error.constraints ?? {}).map((message) => message.replace(`${error.property} `, ''));
    return `${error.property}=${JSON.stringify(String(input[error.property] ?? ''))}: ${messages.join('; ')}`;
  });
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
  problems.push(...webhookSecretProblems(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Production never accepts unsigned webhooks; a malformed secret is reported at start, not on the first request. */
function webhookSecretProblems(config: AppConfig): string[] {
  if (!config.WEBHOOK_SECRET) {
    return config.isProduction
      ? [
          'WEBHOOK_SECRET: required when NODE_ENV=production (the "whsec_..." signing secret from the provider\'s ' +
            'webhook settings; several, space separated, during a rotation)',
        ]
      : [];
  }
  try {
    parseWebhookSecrets(config.WEBHOOK_SECRET);
    return [];
  } catch (error) {
    return [`WEBHOOK_SECRET: ${(error as Error).message.replace(/^WEBHOOK_SECRET /, '')}`];
  }
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
