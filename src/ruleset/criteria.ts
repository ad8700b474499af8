import type { Allocation } from './dialer.js';
import type { DialerFile } from './dialer-schema.js';

/** A Convoso criteria key ("Lead Post Criteria"): the list a lead goes to and the checks it gets. */
export interface Criterion {
  key: string;
  allocation: Allocation;
  /** Convoso's check_dup level; undefined = the template's de-duplication */
  checkDup?: number;
  checkDupArchive: boolean;
}

/** Builds the criteria map, reporting unknown allocations and repeated keys through `fail`. */
export function compileCriteria(
  entries: DialerFile['criteria'],
  allocations: ReadonlyMap<number, Allocation>,
  fail: (path: string, message: string) => void,
): ReadonlyMap<string, Criterion> {
  const criteria = new Map<string, Criterion>();
  entries.forEach((entry, i) => {
    const allocation = allocations.get(entry.allocationId);
    if (!allocation) fail(`criteria[${i}].allocationId`, `names no allocation: ${entry.allocationId}`);
    if (criteria.has(entry.key)) fail(`criteria[${i}].key`, `duplicate criteria key '${entry.key}'`);
    if (allocation) criteria.set(entry.key, { key: entry.key, allocation, checkDup: entry.checkDup, checkDupArchive: entry.checkDupArchive });
  });
  return criteria;
}
