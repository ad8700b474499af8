import { expect } from 'vitest';
import type { FakeCrmReply } from '../support/fake-crm.js';
import { INSERTED } from './noojee-insert-cases.js';

/**
 * Duplicate-check cases as data (the table in test/support/crm-rules.ts, a loopback fake CRM),
 * shared by the Node suite and the Workers runtime test.
 */

const e164 = (national: string) => `+61${national.slice(1)}`;

/** What the adaptor sends for a lead: phones in E.164, the mapped names, the secret resolved. */
export function adaptorRequest(phone: string) {
  return {
    lead: { phone, mobile: '03 8320 1111', email: 'ada@example.com', njExternalLeadId: 'X-1', surname: 'Lovelace' },
    method: 'POST',
    url: '/api/leads/lookup',
    body: { phone_number: e164(phone), contact: { mobile: '+61383201111', email: 'ada@example.com' }, external_id: 'X-1' },
  };
}

export interface DecisionCase {
  /** the CRM's JSON answer */
  answer: unknown;
  status: number;
  body: Record<string, unknown>;
  /** the created lead's status (undefined: no lead is created) */
  leadStatus?: string | null;
  /** the reason of the DNC entry the decision adds, when it adds one */
  dncReason?: string;
}

/** The first matching row of the table decides (SPEC 3.3). */
export const TABLE_DECISIONS = {
  skip: {
    answer: { customer: { status: ' ACTIVE ' } },
    status: 400,
    body: {
      code: 105,
      message: 'DUPLICATE',
      description: 'skipped as a duplicate by the duplicate check: existing customer',
      reason: 'existing customer',
      rule: { row: 0, key: '$.customer.status' },
    },
  },
  createWithDnc: {
    answer: { flags: { doNotCall: true } },
    status: 200,
    body: { code: 0, message: 'OK', description: 'The lead was successfully inserted or updated.', leadId: expect.any(String) },
    leadStatus: 'DNC',
    dncReason: 'duplicate check: row',
  },
  failedValidation: {
    answer: { customer: { status: 'lapsed', score: 12.5 } },
    status: 400,
    body: {
      code: 205,
      message: 'FAILED_EXTERNAL_VALIDATION',
      description: 'the lead was created, but the duplicate check marked it as failed: low score',
      leadId: expect.stringMatching(/^\d+$/),
      reason: 'low score',
      rule: { row: 2, key: '$.customer.score' },
    },
    leadStatus: 'LOW_SCORE',
  },
  skipAndDnc: {
    answer: { blocked: 'HARD' },
    status: 400,
    body: {
      code: 105,
      message: 'DUPLICATE',
      description: 'skipped as a duplicate by the duplicate check: blocked',
      reason: 'blocked',
      rule: { row: 3, key: '$.blocked' },
    },
    dncReason: 'blocked',
  },
  noMatch: {
    answer: { customer: { status: 'new', score: 'n/a' } },
    status: 200,
    body: INSERTED,
    leadStatus: null,
  },
} satisfies Record<string, DecisionCase>;

/** CRM faults end in onError (created with status CRM_ERROR), never in a lost lead. */
export const CRM_FAULTS: Array<[name: string, reply: FakeCrmReply, attempts: number, failure: string]> = [
  ['a 500 (retried once)', { status: 500, json: { error: 'boom' } }, 2, 'status'],
  ['invalid JSON', { text: '<html>oops' }, 1, 'invalid-json'],
  ['a reset connection (retried once)', { kind: 'reset' }, 2, 'network'],
  ['no answer within the timeout (retried once)', { kind: 'hang' }, 2, 'timeout'],
  ['a slow answer, after the timeout (retried once)', { delayMs: 2500, json: { customer: { status: 'active' } } }, 2, 'timeout'],
  ['429 with Retry-After past the deadline (not retried)', { status: 429, retryAfter: 30, json: {} }, 1, 'status'],
];
