import type { DncEntry } from '../pipeline/ports.js';

/** Who did an admin write and what it touched; the store adds the time. */
export interface AuditEntry {
  /** a fingerprint of the admin token (`admin:1a2b3c4d`), never the token */
  actor: string;
  /** the route, e.g. `PUT /admin/rules/{path}` */
  action: string;
  /** the file path, phone, or key id */
  target: string;
  beforeSha256?: string | null;
  afterSha256?: string | null;
  detail?: Record<string, unknown>;
  requestId?: string;
}

export interface StoredAuditEntry extends Required<Omit<AuditEntry, 'detail' | 'requestId'>> {
  id: string;
  detail: Record<string, unknown> | null;
  requestId: string | null;
  createdAt: Date;
}

export interface DecisionQuery {
  e164?: string;
  outcome?: string;
  connect?: string;
  from?: Date;
  to?: Date;
  offset: number;
  limit: number;
}

/** A decision record (SPEC 3.3) as the admin API lists it. */
export interface StoredDecision {
  id: string;
  leadId: string | null;
  phone: string | null;
  entryPoint: string;
  connect: string | null;
  request: unknown;
  crmStatus: number | null;
  latencyMs: number | null;
  answer: string | null;
  matchedRow: number | null;
  values: unknown;
  outcome: string;
  decision: unknown;
  /** a duplicate: the match key that matched and the lead holding it */
  matchedOn: string | null;
  matchedLeadId: string | null;
  createdAt: Date;
}

export interface ApiKeyInfo {
  id: string;
  prefix: string;
  label: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface Page<T> {
  total: number;
  entries: T[];
}

/**
 * What the admin API needs from the database. Every write takes its audit entry and stores both
 * in one transaction, so there is no admin change without its audit row (and no row without it).
 */
export interface AdminStore {
  findDecisions(query: DecisionQuery): Promise<Page<StoredDecision>>;
  listAudit(query: { offset: number; limit: number }): Promise<Page<StoredAuditEntry>>;
  recordAudit(entry: AuditEntry): Promise<void>;
  /** answers whether the entry was new */
  addDnc(entry: DncEntry, audit: AuditEntry): Promise<boolean>;
  /** answers whether an entry was removed; the audit row is written only then */
  removeDnc(e164: string, campaignId: number, audit: AuditEntry): Promise<boolean>;
  createApiKey(key: { keyHash: string; prefix: string; label: string | null }, audit: (id: string) => AuditEntry): Promise<string>;
  /** answers the revoked key's hash, or null when there was no live key with this id */
  revokeApiKey(id: string, audit: AuditEntry): Promise<string | null>;
  /** the live key with this hash; revoked keys are not found */
  findApiKey(keyHash: string): Promise<{ id: string } | null>;
  listApiKeys(): Promise<ApiKeyInfo[]>;
}
