/* Hand-built destinations, deliveries and answers for the dialer-kind tests (no rule-file compiler). */
import type { DialerAnswer } from '../../../src/forward/kinds/dialer-kind.js';
import type {
  ClaimedDelivery,
  CompiledDestination,
  DeliveryLead,
  DestinationKind,
  HttpAnswerReading,
} from '../../../src/forward/ports.js';

export const SECRETS = {
  noojeeApiKey: 'nj-Key+S3cr3t/==',
  convosoToken: 'cv-token S3cr3t&x=1',
  vicidialUser: 'apiuser6666',
  vicidialPass: 'p@ss w0rd&more',
  vicidialSource: 'lgsource',
  httpBearer: 'Bearer hook-S3cr3t',
  httpEnvValue: 'env-S3cr3t-value',
} as const;

const CREDENTIALS: Record<DestinationKind, Record<string, string>> = {
  noojee: { apiKey: SECRETS.noojeeApiKey },
  convoso: { authToken: SECRETS.convosoToken },
  vicidial: { user: SECRETS.vicidialUser, pass: SECRETS.vicidialPass, source: SECRETS.vicidialSource },
  http: {},
};

const URLS: Record<DestinationKind, string> = {
  noojee: 'https://pbx.example.com',
  convoso: 'https://api.convoso.example',
  vicidial: 'https://vici.example.com',
  http: 'https://hooks.example.com/leads',
};

/** `{ "status": "ok", "id": … }` means success, as a destination's `http:` block would say. */
export const OK_STATUS_READING: HttpAnswerReading = {
  succeeded: (answer) => typeof answer === 'object' && answer !== null && (answer as Record<string, unknown>).status === 'ok',
  leadId: (answer) => {
    const id = typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>).id : undefined;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
  },
};

export function destinationOf(kind: DestinationKind, overrides: Partial<CompiledDestination> = {}): CompiledDestination {
  const credentials = CREDENTIALS[kind];
  const headers: Record<string, string> = kind === 'http' ? { Authorization: SECRETS.httpBearer, 'X-Feed': SECRETS.httpEnvValue } : {};
  const secrets = kind === 'http' ? [SECRETS.httpBearer, SECRETS.httpEnvValue] : Object.values(credentials);
  return {
    name: `${kind}-dest`,
    file: `destinations/${kind}-dest.yaml`,
    kind,
    url: URLS[kind],
    credentials,
    headers,
    routes: [],
    forward: new Set(['insert', 'update', 'dnc']),
    mode: 'queue',
    syncTimeoutMs: 5000,
    timeoutMs: 70_000,
    maxConcurrency: 2,
    ratePerSecond: 0,
    batch: kind === 'noojee' ? 100 : 1,
    retry: { firstDelayMs: 120_000, maxDelayMs: 3_600_000, maxAttempts: 48 },
    allowPrivateNetwork: false,
    adaptor: [{ field: 'firstName', mappedTo: 'first_name' }],
    ...(kind === 'http' ? { http: OK_STATUS_READING } : {}),
    circuit: { failureThreshold: 5, openMs: 30_000 },
    secrets: [...secrets].sort((a, b) => b.length - a.length),
    ...overrides,
  };
}

export const ROUTE_TO: Record<DestinationKind, Record<string, number | string>> = {
  noojee: { templateId: 3, campaignId: 7, allocationId: 21 },
  convoso: { listId: 5001 },
  vicidial: { listId: 999, campaignId: 'TESTCAMP' },
  http: {},
};

/** An Australian lead: phone fields `phone` (Melbourne landline) and `mobile`. */
export function leadFixture(overrides: Partial<DeliveryLead> = {}): DeliveryLead {
  return {
    id: '42',
    templateId: 1,
    campaignId: 10,
    allocationId: 100,
    externalId: 'A-1',
    status: null,
    callbackAt: null,
    priority: 10,
    fields: { phone: '03 8320 8134', mobile: '0412 345 678', firstName: 'Ann', surname: 'Smith' },
    phones: ['+61383208134', '+61412345678'],
    phoneFields: ['phone', 'mobile'],
    country: 'AU',
    timeZone: 'Australia/Melbourne',
    ...overrides,
  };
}

let nextId = 1;

function deliveryOf(kind: DestinationKind, overrides: Partial<ClaimedDelivery>): ClaimedDelivery {
  return {
    id: String(nextId++),
    destination: `${kind}-dest`,
    event: 'insert',
    to: ROUTE_TO[kind],
    attemptCount: 0,
    uncertain: false,
    dialerLeadId: null,
    lead: leadFixture(),
    ...overrides,
  };
}

export function insertOf(kind: DestinationKind, overrides: Partial<ClaimedDelivery> = {}): ClaimedDelivery {
  return deliveryOf(kind, { event: 'insert', ...overrides });
}

export function updateOf(kind: DestinationKind, overrides: Partial<ClaimedDelivery> = {}): ClaimedDelivery {
  return deliveryOf(kind, {
    event: 'update',
    attemptCount: 0,
    update: { fields: { surname: 'Jones' }, disposition: 'SALE' },
    ...overrides,
  });
}

export function dncOf(kind: DestinationKind, overrides: Partial<ClaimedDelivery> = {}): ClaimedDelivery {
  return deliveryOf(kind, {
    event: 'dnc',
    lead: null,
    dnc: { e164: '+61383208134', campaignId: 0, reason: 'caller asked' },
    ...overrides,
  });
}

export const RECEIVED_AT = Date.UTC(2026, 0, 15, 10, 0, 0);

export function answerOf(status: number, body: string | object, headers: Record<string, string | string[]> = {}): DialerAnswer {
  return { status, headers, body: typeof body === 'string' ? body : JSON.stringify(body), receivedAtMs: RECEIVED_AT };
}

/** The fields of a form body, in order. */
export function formOf(body: string | undefined): Array<[string, string]> {
  return [...new URLSearchParams(body ?? '')];
}

export function formObject(body: string | undefined): Record<string, string> {
  return Object.fromEntries(formOf(body));
}
