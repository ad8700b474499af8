import { createHash, randomBytes } from 'node:crypto';
import type { AdminStore, AuditEntry } from '../admin/ports.js';
import type { Logger } from '../lib/logger.js';

const digest = (key: string) => createHash('sha256').update(key).digest('hex');

export type ApiKeyCheck = (presented: string | undefined) => boolean | Promise<boolean>;

/**
 * Accepts the configured API keys. Only their SHA-256 digests are kept, and a presented key is
 * looked up by digest, so neither memory nor timing reveals the keys themselves.
 */
export function createApiKeyCheck(keys: readonly string[]): (presented: string | undefined) => boolean {
  const digests = new Set(keys.map(digest));
  return (presented) => presented !== undefined && presented !== '' && digests.has(digest(presented));
}

export interface BootstrapKeySettings {
  /** LEADGATE_API_KEYS */
  keys: readonly string[];
  demo: boolean;
  /** whether keys can be created through the admin API (a store and an admin token) */
  storedKeys: boolean;
  /** what to tell an operator who must set LEADGATE_API_KEYS */
  missingKeysHint: string;
}

/**
 * The keys accepted without the store, one policy for every entry: LEADGATE_API_KEYS; unset, the
 * demo key while the demo is on (with a warning); with the demo off, no bootstrap key at all,
 * which is a start-up error unless keys can be created through the admin API.
 */
export function bootstrapApiKeys(settings: BootstrapKeySettings, logger: Logger): string[] {
  if (settings.keys.length > 0) return [...settings.keys];
  const stored = settings.storedKeys ? ' (and keys created through the admin API)' : '';
  if (settings.demo) {
    logger.warn({ event: 'auth.demo_key' }, `LEADGATE_API_KEYS is unset: accepting the demo key 'demo'${stored}; set keys before real use`);
    return ['demo'];
  }
  if (!settings.storedKeys) throw new Error(`${settings.missingKeysHint} is required when the demo is off (LEADGATE_DEMO=0)`);
  logger.info({ event: 'auth.stored_keys_only' }, 'LEADGATE_API_KEYS is unset: accepting only API keys created through the admin API');
  return [];
}

export interface ApiKeyRegistry {
  /** the bootstrap keys, then the stored ones (cached) */
  isApiKey: ApiKeyCheck;
  create(label: string | null, audit: (id: string) => AuditEntry): Promise<{ id: string; key: string }>;
  /** false when no live key has this id */
  revoke(id: string, audit: AuditEntry): Promise<boolean>;
}

export interface ApiKeyRegistryOptions {
  store: Pick<AdminStore, 'createApiKey' | 'revokeApiKey' | 'findApiKey'>;
  /** LEADGATE_API_KEYS (or the demo key): answered without the store */
  bootstrap: ApiKeyCheck;
  /**
   * How long a lookup is trusted. A key revoked through another process sharing the database is
   * refused here at the latest this long after; one revoked through this process, at once.
   */
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

interface CacheEntry {
  valid: boolean;
  until: number;
}

/**
 * Stored API keys with a per-process cache, so a known key costs no database round trip per
 * request: one lookup per key per TTL (unknown keys are cached as unknown too, which bounds what
 * a client guessing keys can cost the database). Create and revoke update the cache at once.
 */
export function createApiKeyRegistry(options: ApiKeyRegistryOptions): ApiKeyRegistry {
  const ttlMs = options.ttlMs ?? 30_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CacheEntry>();
  const pending = new Map<string, Promise<boolean>>();

  const remember = (hash: string, valid: boolean, until = now() + ttlMs) => {
    cache.delete(hash);
    if (cache.size >= maxEntries) {
      // Maps iterate in insertion order: the first entry is the oldest lookup.
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(hash, { valid, until });
  };

  const lookUp = (hash: string): Promise<boolean> => {
    const inFlight = pending.get(hash);
    if (inFlight) return inFlight;
    const lookup = options.store
      .findApiKey(hash)
      .then((found) => {
        // A revoke that landed while the lookup ran has already marked the key: keep the mark.
        if (cache.get(hash)?.until !== Number.POSITIVE_INFINITY) remember(hash, found !== null);
        return cache.get(hash)?.valid ?? false;
      })
      .finally(() => pending.delete(hash));
    pending.set(hash, lookup);
    return lookup;
  };

  const stored = (presented: string): boolean | Promise<boolean> => {
    const hash = digest(presented);
    const cached = cache.get(hash);
    if (cached && cached.until > now()) return cached.valid;
    return lookUp(hash);
  };

  return {
    isApiKey(presented) {
      if (presented === undefined || presented === '') return false;
      const bootstrap = options.bootstrap(presented);
      if (bootstrap === true) return true;
      if (bootstrap instanceof Promise) return bootstrap.then((ok) => ok || stored(presented));
      return stored(presented);
    },
    async create(label, audit) {
      // 32 random bytes: unguessable, so caching "unknown" for a key before it exists never bites.
      const key = `lg_${randomBytes(32).toString('base64url')}`;
      const hash = digest(key);
      const id = await options.store.createApiKey({ keyHash: hash, prefix: key.slice(0, 7), label }, audit);
      remember(hash, true);
      return { id, key };
    },
    async revoke(id, audit) {
      const hash = await options.store.revokeApiKey(id, audit);
      if (hash === null) return false;
      // Revocation is permanent: never ask the store about this key again in this process.
      remember(hash, false, Number.POSITIVE_INFINITY);
      return true;
    },
  };
}
