import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * `Authorization: Bearer <LEADGATE_ADMIN_TOKEN>`, compared in constant time. Without a configured
 * token the admin API is switched off (403), never open.
 */
export function adminAuth(token: string | undefined): MiddlewareHandler {
  const expected = token ? digest(token) : undefined;
  return async (c, next) => {
    if (!expected) return c.json({ error: 'the admin API is disabled: set LEADGATE_ADMIN_TOKEN' }, 403);
    const header = c.req.header('authorization') ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      c.header('WWW-Authenticate', 'Bearer realm="leadgate-admin"');
      return c.json({ error: 'a valid admin bearer token is required' }, 401);
    }
    await next();
  };
}
