import { ForbiddenException, HttpException, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { parseCookie } from 'cookie';
import type { IncomingHttpHeaders } from 'node:http';
import { matchAdminKey, type AdminAccess } from './admin-keys.js';
import { ADMIN_SESSION_COOKIE, verifyAdminSession } from './admin-session.js';

/** Who is calling the admin: the key's name, and whether the key came in a header or a browser session. */
export interface AdminIdentity {
  name: string;
  via: 'bearer' | 'session';
}

export interface AdminRequest {
  method: string;
  headers: IncomingHttpHeaders;
  /** This service's origin as the client reached it, e.g. `https://inbox.example.com` (proxy headers honoured per TRUST_PROXY). */
  origin: string;
}

export type AdminDecision = { identity: AdminIdentity } | { refusal: HttpException };

const BEARER = /^Bearer +(\S+) *$/i;
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The one admin check, for every URL under /admin: a bearer key, else a browser session cookie.
 * A change made with the cookie must also carry an Origin header naming this site: SameSite=Strict
 * already keeps the cookie off cross-site requests, and the Origin check still holds where a
 * browser or a same-site subdomain would not honour that.
 */
export function authenticateAdmin(access: AdminAccess, request: AdminRequest): AdminDecision {
  if (access.mode === 'disabled') {
    return {
      refusal: new ServiceUnavailableException(
        'The admin API is disabled because no ADMIN_API_KEYS are configured. To enable it, set ADMIN_API_KEYS to ' +
          'one or more space-separated random keys (e.g. from `openssl rand -base64 32`), restart, and send ' +
          '"Authorization: Bearer <key>".',
      ),
    };
  }
  const authorization = request.headers.authorization;
  if (authorization !== undefined && authorization !== '') return bearer(access, authorization);

  const token = sessionToken(request.headers.cookie);
  if (token === undefined) {
    return {
      refusal: new UnauthorizedException(
        'Missing "Authorization: Bearer <key>" header (the key is one of ADMIN_API_KEYS); in a browser, log in at /admin/login',
      ),
    };
  }
  const key = verifyAdminSession(access, token);
  if (!key) {
    return {
      refusal: new UnauthorizedException('The admin session has expired or is not valid: log in again at /admin/login'),
    };
  }
  if (!SAFE_METHODS.has(request.method.toUpperCase()) && !sameOrigin(request.headers.origin, request.origin)) {
    return {
      refusal: new ForbiddenException(
        `A change made with the browser session must come from this site: expected "Origin: ${request.origin}", ` +
          `got ${request.headers.origin === undefined ? 'no Origin header' : JSON.stringify(request.headers.origin)}`,
      ),
    };
  }
  return { identity: { name: key.name, via: 'session' } };
}

function bearer(access: AdminAccess, authorization: string): AdminDecision {
  const match = BEARER.exec(authorization);
  if (!match) return { refusal: new UnauthorizedException('The Authorization header must be "Bearer <key>"') };
  const key = matchAdminKey(access, match[1]);
  if (!key) {
    return {
      refusal: new UnauthorizedException(
        access.mode === 'keys' && access.generatedKey
          ? 'The bearer key is not valid: use the admin key printed at start (or set ADMIN_API_KEYS)'
          : 'The bearer key is not one of ADMIN_API_KEYS',
      ),
    };
  }
  return { identity: { name: key.name, via: 'bearer' } };
}

function sessionToken(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader || !cookieHeader.includes(ADMIN_SESSION_COOKIE)) return undefined;
  return parseCookie(cookieHeader)[ADMIN_SESSION_COOKIE] || undefined;
}

function sameOrigin(given: string | undefined, expected: string): boolean {
  return given !== undefined && given.toLowerCase() === expected.toLowerCase();
}

export type EdgeArea = 'admin' | 'login' | 'docs' | 'metrics';

/** The login page and the session routes: reachable without a session, still under /admin's headers. */
const LOGIN_PATHS: ReadonlySet<string> = new Set(['/admin/login', '/admin/session']);

/**
 * Which protected area a request is for: by the route Fastify matched (so an encoded or oddly
 * written URL that still reaches an admin route is caught) and by the URL itself (so unmatched
 * paths under /admin, and routes mounted outside Nest such as the queue dashboard, are too).
 * The URL check is deliberately loose (case-insensitive, percent-decoded, repeated slashes
 * collapsed): protecting a path that would 404 anyway costs nothing.
 */
export function edgeAreaOf(url: string, routeUrl?: string): EdgeArea | undefined {
  const byRoute = routeUrl !== undefined ? areaOfPath(routeUrl) : undefined;
  const byUrl = areaOfPath(normalizedPath(url));
  // The stricter reading wins: a URL that matched the login route but reads as another admin path is admin.
  if (byRoute === 'login' && byUrl !== 'login') return byUrl ?? 'admin';
  return byRoute ?? byUrl;
}

/** Cheap pre-filter: only URLs starting with slashes then "a", "d", "m" or "%" can be in an area. */
const MAYBE_AREA = /^\/+[adm%]/i;

function normalizedPath(url: string): string {
  if (!MAYBE_AREA.test(url)) return '';
  const end = url.search(/[?;#]/);
  let path = end === -1 ? url : url.slice(0, end);
  if (path.includes('%')) {
    try {
      path = decodeURIComponent(path);
    } catch {
      /* undecodable: judge it as written */
    }
  }
  return path
    .replace(/\/{2,}/g, '/')
    .replace(/(.)\/$/, '$1')
    .toLowerCase();
}

function areaOfPath(path: string): EdgeArea | undefined {
  if (LOGIN_PATHS.has(path)) return 'login';
  if (path === '/admin' || path.startsWith('/admin/')) return 'admin';
  if (path === '/docs' || path.startsWith('/docs/') || path.startsWith('/docs-')) return 'docs';
  if (path === '/metrics') return 'metrics';
  return undefined;
}
