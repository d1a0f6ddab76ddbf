import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest, onSendHookHandler } from 'fastify';
import { AdminAuditService } from '../audit/admin-audit.service.js';
import { requestParams } from '../audit/audited.decorator.js';
import { adminCallerOf, adminIdentityOf } from '../auth/admin-identity.js';
import { QUEUE_DASHBOARD_ROUTE } from './queue-dashboard.module.js';

const API_PREFIX = `${QUEUE_DASHBOARD_ROUTE}/api/`;
const READS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The queue dashboard is a Fastify plugin, outside Nest's interceptors, so its changes (retry,
 * clean, promote, pause, remove a job, …) go on the audit trail through a Fastify onSend hook:
 * every non-read call of its API that passed the admin check, with its route parameters, body and
 * status, written before the answer leaves (as for the Nest routes). Registered before the
 * plugin's routes (an onRoute hook sees them as they are added).
 */
export function registerQueueDashboardAudit(app: NestFastifyApplication, audit: AdminAuditService): void {
  const fastify = app.getHttpAdapter().getInstance();
  const record: onSendHookHandler = (request, reply, payload, done) => {
    if (!adminIdentityOf(request)) return done(null, payload);
    void audit
      .record({
        caller: adminCallerOf(request),
        action: dashboardAction(request.routeOptions.url ?? '', request),
        method: request.method,
        path: request.url.split('?')[0],
        params: requestParams(request),
        status: reply.statusCode,
        rows: null,
        error: reply.statusCode >= 400 ? `the dashboard answered ${reply.statusCode}` : undefined,
      })
      .finally(() => done(null, payload));
  };
  // Attached to those routes alone as they are registered: the webhooks pay nothing for it.
  fastify.addHook('onRoute', (route) => {
    const methods = ([] as string[]).concat(route.method);
    if (!route.url.startsWith(API_PREFIX) || methods.every((method) => READS.has(method.toUpperCase()))) return;
    const existing = route.onSend ?? [];
    route.onSend = [...(Array.isArray(existing) ? existing : [existing]), record];
  });
}

/** `/admin/queues/api/queues/:queueName/:jobId/retry` → `queues.job.retry`. */
export function dashboardAction(route: string, request: Pick<FastifyRequest, 'params'>): string {
  const words = route
    .slice(API_PREFIX.length)
    .split('/')
    .filter((segment) => segment.length > 0 && !segment.startsWith(':'));
  if (words[0] === 'queues') words.shift();
  const onJob = typeof (request.params as Record<string, unknown> | undefined)?.jobId === 'string';
  return ['queues', ...(onJob ? ['job'] : []), ...words].join('.');
}
