import type { Scalar } from './scalar.js';

/** `<No Change>`, trimmed and case-insensitive; the angle brackets are required. */
export function isNoChange(value: Scalar | undefined): boolean {
  return typeof value === 'string' && value.trim().toLowerCase() === '<no change>';
}
