import { Logger, ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { Logger as PinoLogger } from 'nestjs-pino';
import { setupSwagger } from '../admin/swagger.js';
import { AppModule } from './app.module.js';
import { AppConfig } from './config/app-config.js';
import { ADMIN_OPTIONS, type AdminOptions } from '../admin/admin.options.js';
import { AdminAuditService } from '../admin/audit/admin-audit.service.js';
import { registerQueueDashboardAudit } from '../admin/queues/queue-dashboard-audit.js';
import { announceAdminAccess, registerEdgeSecurity } from './edge-security.js';
import { HttpErrorFilter } from './http-error.filter.js';
import { useWebhookBodyParser } from '../ingress/body/raw-json-body.js';

export interface CreateAppOptions {
  extraImports?: NonNullable<ModuleMetadata['imports']>;
}

/**
 * Builds the application (not yet listening). main.ts, the end-to-end tests and the benchmark all
 * go through here, so they run the same service.
 */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    // Fastify stops reading and answers 413 as soon as a body passes the limit.
    bodyLimit: config.WEBHOOK_BODY_LIMIT,
    trustProxy: parseTrustProxy(config.TRUST_PROXY),
    https:
      config.TLS_CERT_FILE && config.TLS_KEY_FILE
        ? { cert: readFileSync(config.TLS_CERT_FILE), key: readFileSync(config.TLS_KEY_FILE) }
        : null,
    // Requests arriving while the server closes get a 503 (the sender retries), never a dropped socket.
    return503OnClosing: true,
  } as ConstructorParameters<typeof FastifyAdapter>[0]);

  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, options.extraImports),
    adapter,
    {
      rawBody: true,
      bufferLogs: true,
      // From the first moment of a shutdown (not only once the server closes, after the workers'
      // grace period): new requests get 503 and the provider retries them on another replica.
      return503OnClosing: true,
    },
  );
  // The one application/json parser, before Nest adds its own at init: POST /webhooks gets the raw
  // bytes (parsed only once their signature is checked), every other route the usual parsed JSON.
  useWebhookBodyParser(app, config.WEBHOOK_BODY_LIMIT);
  app.useLogger(app.get(PinoLogger));
  // Before any route exists, so they cover every route: errors as {statusCode, error, message}; /admin auth + headers.
  app.useGlobalFilters(new HttpErrorFilter(app.getHttpAdapter(), { bodyLimit: config.WEBHOOK_BODY_LIMIT }));
  const { access } = app.get<AdminOptions>(ADMIN_OPTIONS);
  registerEdgeSecurity(app, { access, protectMetrics: config.isProduction && !config.METRICS_PUBLIC });
  registerQueueDashboardAudit(app, app.get(AdminAuditService));
  announceAdminAccess(access);
  setupSwagger(app);
  if (!config.WEBHOOK_SECRET) {
    new Logger('Security').warn(
      'WEBHOOK_SECRET is not set: webhooks are accepted WITHOUT signature verification (development only)',
    );
  }
  return app;
}

function parseTrustProxy(value: string | undefined): boolean | number | string[] | undefined {
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((entry) => entry.trim());
}
