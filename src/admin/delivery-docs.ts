import { json, routeDoc, type RouteDoc } from '../ops/route-doc.js';
import { error, guarded, security, tags } from './doc-parts.js';
import { RETRY_FILTER_REQUIRED } from './delivery-routes.js';
import {
  deliveriesPage,
  deliveriesQuery,
  deliveriesRetried,
  deliveriesRetryBody,
  deliveryDetail,
  deliveryIdParam,
  deliveryRetried,
} from './schemas.js';

const storeless = { 501: error('This deployment has no deliveries store (Cloudflare Workers).') };

const summaryExample = {
  id: '42',
  leadId: '1001',
  destination: 'pbx',
  event: 'insert',
  state: 'dead',
  attemptCount: 48,
  dialerLeadId: null,
  lastOutcome: 'dead',
  lastAnswer: '{"code":107,"message":"INVALID_ALLOCATION"}',
  nextAttemptAt: null,
  createdAt: '2026-03-02T09:14:03.120Z',
  updatedAt: '2026-03-04T11:02:51.877Z',
};

/** Deliveries to the dialer (SPEC 10.3), from the schemas the routes validate with. */
export const DELIVERY_DOCS: RouteDoc[] = [
  routeDoc({
    method: 'get',
    path: '/admin/deliveries',
    operationId: 'adminDeliveriesList',
    tags,
    security,
    summary: 'Deliveries to the dialer, newest first',
    description:
      'Each lead event (insert, update, DNC addition) per destination, with its state (`queued`, `delivered`, `refused`, `dead`), attempts, last answer and the dialer\'s lead id. `phone` matches the lead\'s phones (and the number of a DNC delivery), in any form the template\'s country reads.',
    request: { query: deliveriesQuery },
    responses: {
      200: { description: 'A page of deliveries and how many match.', content: json(deliveriesPage, { dead: { total: 1, deliveries: [summaryExample] } }) },
      400: error('A bad filter or phone.'),
      ...guarded,
      ...storeless,
    },
  }),
  routeDoc({
    method: 'get',
    path: '/admin/deliveries/{id}',
    operationId: 'adminDeliveriesRead',
    tags,
    security,
    summary: 'One delivery with every attempt',
    description: 'Every attempt: its time, the request as sent (secrets redacted), the HTTP status and answer, how it was classified, and its latency.',
    request: { params: deliveryIdParam },
    responses: {
      200: {
        description: 'The delivery.',
        content: json(deliveryDetail, {
          dead: {
            ...summaryExample,
            attempts: [
              {
                at: '2026-03-04T11:02:51.870Z',
                request: { method: 'POST', url: 'https://pbx.example.com/servicemanager/rest/CampaignAPI/insertLeadFast?apiKey=%5Bredacted%5D' },
                status: 200,
                answer: '{"code":107,"message":"INVALID_ALLOCATION"}',
                outcome: 'dead',
                latencyMs: 143,
              },
            ],
          },
        }),
      },
      400: error('Not a delivery id.'),
      ...guarded,
      404: error('No delivery with that id.'),
      ...storeless,
    },
  }),
  routeDoc({
    method: 'post',
    path: '/admin/deliveries/{id}/retry',
    operationId: 'adminDeliveriesRetry',
    tags,
    security,
    summary: 'Put a dead or refused delivery back in the queue',
    description: 'Due at once, its attempt count back to 0; the attempts made so far stay in its history. Written to the audit log.',
    request: { params: deliveryIdParam },
    responses: {
      200: { description: 'Queued again.', content: json(deliveryRetried) },
      400: error('Not a delivery id.'),
      ...guarded,
      404: error('No delivery with that id.'),
      409: error('The delivery is queued or delivered: only dead or refused ones can be retried.'),
      ...storeless,
    },
  }),
  routeDoc({
    method: 'post',
    path: '/admin/deliveries/retry',
    operationId: 'adminDeliveriesRetryMany',
    tags,
    security,
    summary: 'Put every dead or refused delivery a filter selects back in the queue',
    description: `The filter: \`state\` (\`dead\` or \`refused\`; absent: both), \`destination\`, and a range of creation times (\`from\` included, \`to\` excluded). At least one of \`state\`, \`destination\` or \`from\` is required (400 otherwise: ${RETRY_FILTER_REQUIRED}). One audit entry names the filter and the count.`,
    request: {
      body: {
        required: true,
        content: json(deliveriesRetryBody, {
          deadAtOneDialer: { state: 'dead', destination: 'pbx' },
          outage: { destination: 'pbx', from: '2026-03-04T08:00:00Z', to: '2026-03-04T12:00:00Z' },
        }),
      },
    },
    responses: {
      200: { description: 'How many were queued again (0: none matched).', content: json(deliveriesRetried) },
      400: error('A bad body, or no filter.'),
      ...guarded,
      413: error('The body is larger than LEADGATE_MAX_BODY_BYTES.'),
      ...storeless,
    },
  }),
];
