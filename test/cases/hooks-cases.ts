import { createHmac } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { expect } from 'vitest';

/**
 * Inbound webhook sources and signature cases as data, shared by the Node suite and the Workers
 * runtime test (signatures are checked with node:crypto, which Workers provide under nodejs_compat).
 */

export const OLD_SECRET = `whsec_${Buffer.from('old-secret-key-material').toString('base64')}`;
export const NEW_SECRET = `whsec_${Buffer.from('new-secret-key-material').toString('base64')}`;
export const HMAC_SECRET = 'plain-hmac-secret';
/** the environment (or Worker bindings) the sources' `${env:NAME}` secrets come from */
export const HOOK_ENV = { HOOK_OLD: OLD_SECRET, HOOK_NEW: NEW_SECRET, HOOK_HMAC: HMAC_SECRET };

/** Writes sources/crm.yaml (standard-webhooks, upsert) and sources/forms.yaml (hmac-sha256) into a rules folder. */
export async function writeHookSources(rulesDir: string): Promise<void> {
  await mkdir(join(rulesDir, 'sources'), { recursive: true });
  await writeFile(
    join(rulesDir, 'sources/crm.yaml'),
    stringify({
      version: 1,
      target: { templateId: 1, campaignId: 10, allocationId: 100 },
      signature: { scheme: 'standard-webhooks', secrets: ['${env:HOOK_NEW}', '${env:HOOK_OLD}'] },
      fields: { phone: '$.contact.phone', firstName: '$.contact.firstName', njExternalLeadId: '$.contact.id' },
      action: 'upsert',
    }),
  );
  await writeFile(
    join(rulesDir, 'sources/forms.yaml'),
    stringify({
      version: 1,
      target: { templateId: 1, campaignId: 10, allocationId: 101 },
      signature: { scheme: 'hmac-sha256', secrets: ['${env:HOOK_HMAC}'] },
      eventId: '$.eventId',
      fields: { phone: '$.data.phone', surname: '$.data.surname' },
      action: 'insert',
    }),
  );
}

const key = (secret: string) => Buffer.from(secret.slice(6), 'base64');
export function standardHeaders(id: string, body: string, secret = NEW_SECRET, timestamp = Math.floor(Date.now() / 1000)) {
  const signature = createHmac('sha256', key(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}`, 'content-type': 'application/json' };
}

export const contact = (id: string, phone: string, firstName = 'Ada') => JSON.stringify({ type: 'contact.created', contact: { id, phone, firstName } });

/** The answer to an event that created (or updated) a lead. */
export const accepted = (source: string, eventId: string) => ({ source, eventId, code: 0, message: 'OK', leadId: expect.stringMatching(/^\d+$/) });

/** Refused with 401 and this error, nothing written. */
export const SIGNATURE_REFUSALS: Array<[name: string, headers: (body: string) => Record<string, string>, error: string]> = [
  ['a bad signature', (b) => ({ ...standardHeaders('evt-x', b), 'webhook-signature': 'v1,AAAA' }), 'signature rejected: no signature matches'],
  ['a signature over another body', (b) => standardHeaders('evt-x', `${b} `), 'signature rejected: no signature matches'],
  ['an unknown secret', (b) => standardHeaders('evt-x', b, `whsec_${Buffer.from('other').toString('base64')}`), 'signature rejected: no signature matches'],
  ['no signature headers', () => ({ 'content-type': 'application/json' }), 'signature rejected: missing webhook-id or webhook-signature header'],
  ['a stale timestamp', (b) => standardHeaders('evt-x', b, NEW_SECRET, Math.floor(Date.now() / 1000) - 310), 'signature rejected: timestamp outside the ±300 s window'],
  ['a future timestamp', (b) => standardHeaders('evt-x', b, NEW_SECRET, Math.floor(Date.now() / 1000) + 310), 'signature rejected: timestamp outside the ±300 s window'],
];
