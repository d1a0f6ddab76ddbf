import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AdminAccess, AdminKey } from './admin-keys.js';

export const ADMIN_SESSION_COOKIE = 'webhook_inbox_admin';
/** The cookie is sent to the admin API and the queue dashboard only (Swagger UI calls /admin). */
export const ADMIN_SESSION_PATH = '/admin';

/**
 * A browser session: `v1.<name>.<expiry>.<mac>`, the MAC keyed by the admin key's digest. Nothing is
 * stored server side, so every replica configured with the same ADMIN_API_KEYS accepts it, and
 * removing a key from ADMIN_API_KEYS ends its sessions at the next restart. A stolen cookie is
 * good until it expires: that is why sessions are short (ADMIN_SESSION_MINUTES).
 */
export function issueAdminSession(key: AdminKey, expiresAt: Date): string {
  const name = Buffer.from(key.name, 'utf8').toString('base64url');
  const expiry = Math.floor(expiresAt.getTime() / 1000).toString();
  return `v1.${name}.${expiry}.${mac(key, name, expiry)}`;
}

/** The key a session token was issued for, when the token is intact, unexpired and its key still configured. */
export function verifyAdminSession(access: AdminAccess, token: string, now = new Date()): AdminKey | undefined {
  if (access.mode !== 'keys') return undefined;
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1') return undefined;
  const [, name, expiry, given] = parts;
  if (!/^\d{1,12}$/.test(expiry) || Number(expiry) * 1000 <= now.getTime()) return undefined;
  const keyName = Buffer.from(name, 'base64url').toString('utf8');
  const key = access.keys.find((candidate) => candidate.name === keyName);
  if (!key) return undefined;
  const expected = Buffer.from(mac(key, name, expiry), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected) ? key : undefined;
}

function mac(key: AdminKey, name: string, expiry: string): string {
  return createHmac('sha256', key.digest).update(`webhook-inbox admin session|${name}|${expiry}`).digest('base64url');
}
