import { HttpException, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Who may use /admin. Keys are kept only as SHA-256 digests: comparing fixed-length digests with
 * timingSafeEqual takes the same time whatever the key's length or how much of it matches.
 */
export type AdminAccess =
  | {
      mode: 'keys';
      digests: Buffer[];
      /** Set when the key was generated for this run (development). */ generatedKey?: string;
    }
  | { mode: 'disabled' };

export interface AdminAuthSettings {
  ADMIN_API_KEYS?: string;
  NODE_ENV: string;
}

const digest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/**
 * ADMIN_API_KEYS (space separated) when set. Without keys: production keeps the admin closed (503
 * with how to enable it); development and test get a random key for this run, to be printed once.
 */
export function resolveAdminAccess(
  settings: AdminAuthSettings,
  generateKey: () => string = () => randomBytes(32).toString('base64url'),
): AdminAccess {
  const keys = (settings.ADMIN_API_KEYS ?? '').split(/\s+/).filter((key) => key.length > 0);
  if (keys.length > 0) return { mode: 'keys', digests: keys.map(digest) };
  if (settings.NODE_ENV === 'production') return { mode: 'disabled' };
  const generatedKey = generateKey();
  return { mode: 'keys', digests: [digest(generatedKey)], generatedKey };
}

/** True when `key` is one of the configured keys; every digest is compared, whatever matched. */
export function adminKeyMatches(access: AdminAccess, key: string): boolean {
  if (access.mode !== 'keys') return false;
  const candidate = digest(key);
  let matched = false;
  for (const expected of access.digests) matched = timingSafeEqual(candidate, expected) || matched;
  return matched;
}

const BEARER = /^Bearer +(\S+) *$/i;

/** Undefined when the request may go on, else the exception to answer with (401 or 503). */
export function adminRefusal(
  access: AdminAccess,
  authorization: string | string[] | undefined,
): HttpException | undefined {
  if (access.mode === 'disabled') {
    return new ServiceUnavailableException(
      'The admin API is disabled because no ADMIN_API_KEYS are configured. To enable it, set ADMIN_API_KEYS to ' +
        'one or more space-separated random keys (e.g. from `openssl rand -base64 32`), restart, and send ' +
        '"Authorization: Bearer <key>".',
    );
  }
  if (authorization === undefined || authorization === '') {
    return new UnauthorizedException('Missing "Authorization: Bearer <key>" header; the key is one of ADMIN_API_KEYS');
  }
  const match = typeof authorization === 'string' ? BEARER.exec(authorization) : null;
  if (!match) return new UnauthorizedException('The Authorization header must be "Bearer <key>"');
  if (!adminKeyMatches(access, match[1])) {
    return new UnauthorizedException(
      access.generatedKey
        ? 'The bearer key is not valid: use the admin key printed at start (or set ADMIN_API_KEYS)'
        : 'The bearer key is not one of ADMIN_API_KEYS',
    );
  }
  return undefined;
}

export type EdgeArea = 'admin' | 'docs';

/**
 * Which protected area a request is for: by the route Fastify matched (so an encoded or oddly
 * written URL that still reaches an admin route is caught) and by the URL itself (so unmatched
 * paths under /admin, and routes mounted outside Nest such as the queue dashboard, are too).
 * The URL check is deliberately loose (case-insensitive, percent-decoded, repeated slashes
 * collapsed): protecting a path that would 404 anyway costs nothing.
 */
export function edgeAreaOf(url: string, routeUrl?: string): EdgeArea | undefined {
  return (routeUrl !== undefined ? areaOfPath(routeUrl) : undefined) ?? areaOfPath(normalizedPath(url));
}

/** Cheap pre-filter: only URLs starting with slashes then "a", "d" or "%" can be in an area. */
const MAYBE_AREA = /^\/+[ad%]/i;

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
  return path.replace(/\/{2,}/g, '/').toLowerCase();
}

function areaOfPath(path: string): EdgeArea | undefined {
  if (path === '/admin' || path.startsWith('/admin/')) return 'admin';
  if (path === '/docs' || path.startsWith('/docs/') || path.startsWith('/docs-')) return 'docs';
  return undefined;
}
