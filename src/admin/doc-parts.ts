import { errorAnswer, json } from '../ops/route-doc.js';

/** What every admin route's OpenAPI doc shares: the bearer token, the tag, the error answers. */
export const security = [{ adminToken: [] }];
export const tags = ['Admin'];
export const error = (description: string) => ({ description, content: json(errorAnswer) });
export const guarded = {
  401: error('A valid admin bearer token is required.'),
  403: error('The admin API is disabled (LEADGATE_ADMIN_TOKEN unset).'),
};
