/**
 * Convoso sends a number and a country calling code (`phone_code`, default 1) apart; leadgate
 * parses them together as an international number. A national trunk 0 is dropped (`0412…` with
 * code 61 is `+61412…`); a number that already starts with + stands as written.
 */
export function convosoPhone(number: string | undefined, code: string | undefined): string | undefined {
  const trimmed = number?.trim();
  if (!trimmed) return undefined;
  if (trimmed.startsWith('+')) return trimmed;
  return `+${(code?.trim() || '1').replace(/^\+/, '')}${trimmed.replace(/^0+/, '')}`;
}
