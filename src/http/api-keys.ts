import { createHash } from 'node:crypto';

const digest = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * Accepts the configured API keys. Only their SHA-256 digests are kept, and a presented key is
 * looked up by digest, so neither memory nor timing reveals the keys themselves.
 */
export function createApiKeyCheck(keys: readonly string[]): (presented: string | undefined) => boolean {
  const digests = new Set(keys.map(digest));
  return (presented) => presented !== undefined && presented !== '' && digests.has(digest(presented));
}
