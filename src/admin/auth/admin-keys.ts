import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** One configured admin key: its name (for the audit) and its SHA-256 digest; never the key itself. */
export interface AdminKey {
  name: string;
  digest: Buffer;
}

/**
 * Who may use /admin. Keys are kept only as SHA-256 digests: comparing fixed-length digests with
 * timingSafeEqual takes the same time whatever the key's length or how much of it matches.
 */
export type AdminAccess =
  | {
      mode: 'keys';
      keys: AdminKey[];
      /** Set when the key was generated for this run (development). */ generatedKey?: string;
    }
  | { mode: 'disabled' };

export interface AdminAuthSettings {
  ADMIN_API_KEYS?: string;
  NODE_ENV: string;
}

/** Production keys must be at least this long: `openssl rand -base64 32` gives 44 characters. */
export const MIN_PRODUCTION_KEY_LENGTH = 32;

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const keyDigest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/** The first 12 hex digits of the key's SHA-256: identifies a key in logs without revealing it. */
export const keyFingerprint = (key: string): string => keyDigest(key).toString('hex').slice(0, 12);

export interface ParsedAdminKey {
  name: string;
  key: string;
}

/**
 * ADMIN_API_KEYS: space-separated entries, each `name:key` or a bare key. A bare key is named by
 * its fingerprint (`key-1a2b3c4d5e6f`), so the audit can still tell keys apart. Throws on an entry
 * that cannot be used (empty key, a name given twice), naming the entry by position, never by value.
 */
export function parseAdminKeys(value: string | undefined): ParsedAdminKey[] {
  const entries = (value ?? '').split(/\s+/).filter((entry) => entry.length > 0);
  const parsed = entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    const name = colon > 0 ? entry.slice(0, colon) : '';
    if (colon > 0 && KEY_NAME.test(name)) {
      const key = entry.slice(colon + 1);
      if (key.length === 0) throw new Error(`entry #${index + 1} (${name}) has a name but no key`);
      return { name, key };
    }
    return { name: `key-${keyFingerprint(entry)}`, key: entry };
  });
  const seen = new Set<string>();
  for (const { name } of parsed) {
    if (seen.has(name)) throw new Error(`the name ${name} is given to more than one key`);
    seen.add(name);
  }
  return parsed;
}

/**
 * ADMIN_API_KEYS when set. Without keys: production keeps the admin closed (503 with how to enable
 * it); development and test get a random key for this run, to be printed once.
 */
export function resolveAdminAccess(
  settings: AdminAuthSettings,
  generateKey: () => string = () => randomBytes(32).toString('base64url'),
): AdminAccess {
  const keys = parseAdminKeys(settings.ADMIN_API_KEYS);
  if (keys.length > 0) return { mode: 'keys', keys: keys.map(({ name, key }) => ({ name, digest: keyDigest(key) })) };
  if (settings.NODE_ENV === 'production') return { mode: 'disabled' };
  const generatedKey = generateKey();
  return { mode: 'keys', keys: [{ name: 'generated', digest: keyDigest(generatedKey) }], generatedKey };
}

/** The configured key `key` is, if any; every digest is compared, whatever matched. */
export function matchAdminKey(access: AdminAccess, key: string): AdminKey | undefined {
  if (access.mode !== 'keys') return undefined;
  const candidate = keyDigest(key);
  let matched: AdminKey | undefined;
  for (const expected of access.keys) {
    if (timingSafeEqual(candidate, expected.digest)) matched = expected;
  }
  return matched;
}
