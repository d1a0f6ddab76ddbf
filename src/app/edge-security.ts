import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { adminRefusal, edgeAreaOf, type AdminAccess } from '../admin/admin-auth.js';

type HeadersMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
type HelmetFactory = (options?: Record<string, unknown>) => HeadersMiddleware;

/**
 * The helmet that @fastify/helmet wraps, taken from @fastify/helmet's own dependency tree.
 * Registering the plugin itself (even with global: false) adds two hooks, one async, to EVERY
 * request, webhooks included: a bare Fastify endpoint served ~12% fewer requests/s with it
 * (autocannon, 50 connections, 5 s runs), while the headers are only wanted on /admin and /docs,
 * which the hook below already singles out.
 */
function loadHelmet(): HelmetFactory {
  const fromHere = createRequire(import.meta.url);
  const fromPlugin = createRequire(fromHere.resolve('@fastify/helmet'));
  const helmet = fromPlugin('helmet') as HelmetFactory | { default: HelmetFactory };
  return typeof helmet === 'function' ? helmet : helmet.default;
}

/**
 * Helmet's defaults, except upgrade-insecure-requests: the service serves plain HTTP in
 * development and behind a TLS-terminating proxy, where the upgrade would break Swagger UI.
 */
export const EDGE_SECURITY_HEADERS = { contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } };

/**
 * One Fastify onRequest hook for the operator-facing areas, registered before any route (Nest's,
 * Swagger's, or a plugin's such as the queue dashboard), so it covers them all, matched or not:
 *  - /admin/** and /docs/**: security headers (helmet);
 *  - /admin/**: `Authorization: Bearer <key>` (401), or 503 when the admin is disabled.
 * Refusals go through Fastify's error handler, i.e. the app's exception filter (JSON, logged).
 * Every other request (the webhooks) pays only a string check. CORS is never enabled.
 */
export function registerEdgeSecurity(app: NestFastifyApplication, access: AdminAccess): void {
  const securityHeaders = loadHelmet()(EDGE_SECURITY_HEADERS);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    const area = edgeAreaOf(request.url, request.routeOptions.url);
    if (area === undefined) return done();
    securityHeaders(request.raw, reply.raw, (error) => {
      if (error) return done(error as Error);
      if (area !== 'admin') return done();
      const refusal = adminRefusal(access, request.headers.authorization);
      if (refusal && refusal.getStatus() === 401) reply.header('www-authenticate', 'Bearer realm="admin"');
      done(refusal);
    });
  });
}

/** Prints the generated development key once, so a new user can open the admin right away. */
export function announceAdminAccess(access: AdminAccess, logger = new Logger('AdminAuth')): void {
  if (access.mode === 'disabled') {
    logger.warn('ADMIN_API_KEYS is not set: every /admin route answers 503 until it is');
  } else if (access.generatedKey) {
    logger.warn(
      `ADMIN_API_KEYS is not set, so this run generated an admin key: ${access.generatedKey}  —  ` +
        'send "Authorization: Bearer <key>" (Swagger UI at /docs: Authorize). It changes on every start; ' +
        'set ADMIN_API_KEYS to keep one.',
    );
  }
}
