import type { NewLead } from '../pipeline/ports.js';

/** A new lead's deliveries as the insert statements read them (jsonb_to_recordset: destination, route). */
export function forwardRows(lead: Pick<NewLead, 'forward'>): Array<{ destination: string; route: unknown }> | null {
  if (!lead.forward || lead.forward.length === 0) return null;
  return lead.forward.map((f) => ({ destination: f.destination, route: f.to }));
}

export const forwardJson = (lead: Pick<NewLead, 'forward'>): string | null => {
  const rows = forwardRows(lead);
  return rows && JSON.stringify(rows);
};
