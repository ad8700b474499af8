import { z } from 'zod';
import { compileJsonPath, type CompiledPath } from './jsonpath/compile.js';
import type { Dialer } from './dialer.js';
import { envRefResolver, requireEnvRef } from './env-refs.js';
import { zodErrorToRuleErrors, type RuleError } from './rule-error.js';

const id = z.number().int().positive();

export const sourceSchema = z
  .object({
    version: z.literal(1),
    target: z.object({ templateId: id, campaignId: id, allocationId: id }).strict(),
    signature: z
      .object({
        scheme: z.enum(['standard-webhooks', 'hmac-sha256']),
        secrets: z.array(z.string().min(1)).min(1),
      })
      .strict(),
    /** JSONPath to the event id; without it the standard-webhooks `webhook-id` header is the id */
    eventId: z.string().min(1).optional(),
    fields: z.record(z.string().min(1), z.string().min(1)).refine((f) => Object.keys(f).length > 0, 'map at least one field'),
    action: z.enum(['insert', 'upsert']).default('insert'),
  })
  .strict();

/** An inbound webhook source (SPEC 3.4), compiled: paths parsed once, secrets resolved. */
export interface CompiledSource {
  name: string;
  file: string;
  templateId: number;
  campaignId: number;
  allocationId: number;
  scheme: 'standard-webhooks' | 'hmac-sha256';
  secrets: readonly string[];
  eventId?: CompiledPath;
  fields: ReadonlyArray<{ field: string; path: CompiledPath }>;
  action: 'insert' | 'upsert';
}

export function sourceNameFromFile(file: string): string {
  return file.replace(/^sources\//, '').replace(/\.(ya?ml|json)$/i, '');
}

/** `demoFile`: the file says `demo: true`, so literal secrets are allowed in it (SPEC 3.2). */
export function compileSource(raw: unknown, file: string, env: Record<string, string | undefined>, dialer: Dialer | undefined, demoFile = false): { ok: true; source: CompiledSource } | { ok: false; errors: RuleError[] } {
  const parsed = sourceSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: zodErrorToRuleErrors(file, parsed.error) };
  const spec = parsed.data;
  const errors: RuleError[] = [];
  const fail = (path: string, message: string) => errors.push({ file, path, message });
  const resolve = envRefResolver(env, new Set(), fail);
  const secrets = spec.signature.secrets.map((s, i) => {
    if (!demoFile) requireEnvRef(s, `signature.secrets[${i}]`, fail);
    return resolve(s, `signature.secrets[${i}]`);
  });

  const compile = (key: string, path: string): CompiledPath | undefined => {
    const compiled = compileJsonPath(key);
    if (compiled.ok) return compiled.path;
    fail(path, `JSONPath ${JSON.stringify(key)}: ${compiled.message}`);
    return undefined;
  };
  const eventId = spec.eventId === undefined ? undefined : compile(spec.eventId, 'eventId');
  if (spec.eventId === undefined && spec.signature.scheme !== 'standard-webhooks') {
    fail('eventId', 'hmac-sha256 sources need an eventId JSONPath (only standard-webhooks carries a webhook-id header)');
  }
  const fields = Object.entries(spec.fields).flatMap(([field, key]) => {
    const path = compile(key, `fields.${field}`);
    return path ? [{ field, path }] : [];
  });
  if (spec.action === 'upsert' && !Object.keys(spec.fields).some((f) => f.toLowerCase() === 'njexternalleadid')) {
    fail('action', 'upsert needs a njExternalLeadId field mapping to find existing leads');
  }
  const allocation = dialer?.allocations.get(spec.target.allocationId);
  if (dialer && (!allocation || allocation.campaign.id !== spec.target.campaignId || allocation.campaign.template.id !== spec.target.templateId)) {
    fail('target', `allocation ${spec.target.allocationId} of campaign ${spec.target.campaignId} of template ${spec.target.templateId} does not exist in dialer.yaml`);
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    source: {
      name: sourceNameFromFile(file),
      file,
      ...spec.target,
      scheme: spec.signature.scheme,
      secrets,
      ...(eventId ? { eventId } : {}),
      fields,
      action: spec.action,
    },
  };
}
