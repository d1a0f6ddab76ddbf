import { HttpException, Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticateAdmin, edgeAreaOf } from '../admin/auth/admin-auth.js';
import { rememberAdminIdentity } from '../admin/auth/admin-identity.js';
import type { AdminAccess } from '../admin/auth/admin-keys.js';

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
 * Helmet's defaults, except:
 *  - no upgrade-insecure-requests: the service serves plain HTTP in development and behind a
 *    TLS-terminating proxy, where the upgrade would break Swagger UI;
 *  - Referrer-Policy same-origin instead of no-referrer: under no-referrer a browser sends
 *    `Origin: null` with a form post, and the login and the cookie's Origin check need the real
 *    origin. same-origin still sends nothing to other sites.
 */
export const EDGE_SECURITY_HEADERS = {
  contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  referrerPolicy: { policy: 'same-origin' },
};

export interface EdgeSecurityOptions {
  access: AdminAccess;
  /** GET /metrics needs an admin key too (production, unless METRICS_PUBLIC=true). */
  protectMetrics: boolean;
}

/**
 * One Fastify onRequest hook for the operator-facing areas, registered before any route (Nest's,
 * Swagger's, or a plugin's such as the queue dashboard), so it covers them all, matched or not:
 *  - /admin/** and /docs/**: security headers (helmet);
 *  - /admin/** except the login page and the session routes: an admin key (bearer header or
 *    browser session), else 401 (a browser navigating there is sent to the login page), or 503
 *    when the admin is disabled;
 *  - /metrics, when protected: the same check.
 * Refusals go through Fastify's error handler, i.e. the app's exception filter (JSON, logged).
 * Every other request (the webhooks) pays only a string check. CORS is never enabled.
 */
export function registerEdgeSecurity(app: NestFastifyApplication, options: EdgeSecurityOptions): void {
  const securityHeaders = loadHelmet()(EDGE_SECURITY_HEADERS);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    const area = edgeAreaOf(request.url, request.routeOptions.url);
    if (area === undefined) return done();
    if (area === 'metrics') return options.protectMetrics ? done(admitted(request, reply, options.access)) : done();
    securityHeaders(request.raw, reply.raw, (error) => {
      if (error) return done(error as Error);
      if (area !== 'admin') return done();
      const refusal = admitted(request, reply, options.access);
      if (refusal && refusal.getStatus() === 401 && isBrowserNavigation(request)) {
        return void reply.redirect(`/admin/login?next=${encodeURIComponent(request.url)}`, 303);
      }
      done(refusal);
    });
  });
}

/** Undefined when the request may go on (its identity remembered for the audit), else the refusal. */
function admitted(request: FastifyRequest, reply: FastifyReply, access: AdminAccess): HttpException | undefined {
  const decision = authenticateAdmin(access, {
    method: request.method,
    headers: request.headers,
    origin: `${request.protocol}://${request.host}`,
  });
  if ('identity' in decision) {
    rememberAdminIdentity(request.raw, decision.identity);
    return undefined;
  }
  if (decision.refusal.getStatus() === 401) reply.header('www-authenticate', 'Bearer realm="admin"');
  return decision.refusal;
}

/** A person opening an admin page in a browser tab (not an API client, not the dashboard's own fetches). */
function isBrowserNavigation(request: FastifyRequest): boolean {
  return (
    request.method === 'GET' &&
    request.headers.authorization === undefined &&
    (request.headers.accept ?? '').includes('text/html')
  );
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
