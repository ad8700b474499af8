import { z } from 'zod';
import { json, routeDoc, type RouteDoc } from '../ops/route-doc.js';

const phone = z.union([z.string(), z.number()]).optional();

export const demoLookupBody = z
  .object({ phone_number: phone, mobile_number: phone })
  .catchall(z.unknown())
  .meta({ description: 'What the demo connect sends: the lead mapped by its adaptor.', example: { phone_number: '+61412345671' } });

const demoAnswer = z.record(z.string(), z.unknown()).meta({ description: 'A CRM-like answer, picked by the last digit of the phone.' });

/** Served only while the demo is on (LEADGATE_DEMO). */
export const DEMO_DOCS: RouteDoc[] = [
  routeDoc({
    method: 'post',
    path: '/demo/crm/lookup',
    operationId: 'demoCrmLookup',
    tags: ['Demo CRM'],
    summary: 'The demo CRM the shipped rules call',
    description: 'Answers by the last digit of the phone: 1 an active customer, 2 the CRM\'s do-not-call flag, 3 a low score, 9 the CRM is down (503), otherwise unknown.',
    request: { body: { content: json(demoLookupBody) } },
    responses: {
      200: {
        description: 'The CRM answer.',
        content: json(demoAnswer, {
          active: { customer: { id: 'C-1001', status: 'active' } },
          doNotCall: { customer: { id: 'C-1002', status: 'prospect' }, flags: { doNotCall: true } },
          lowScore: { customer: { id: 'C-1003', status: 'closed', score: 12 } },
          unknown: { customer: null },
        }),
      },
      503: { description: 'The CRM is down (phones ending in 9).', content: json(demoAnswer, { down: { error: 'maintenance' } }) },
    },
  }),
];
