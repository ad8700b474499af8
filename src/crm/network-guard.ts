/**
 * SSRF guard: which destinations a connect may reach unless `allowPrivateNetwork: true`.
 * Pure code (no node:*) so the Worker bundle can use it for the load-time check; the
 * call-time DNS check lives in the undici transport.
 */

/** [network address, prefix length] */
const BLOCKED_V4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];

const BLOCKED_V4_RANGES = BLOCKED_V4.map(([base, bits]) => {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { net: ((parseIPv4(base) ?? 0) & mask) >>> 0, mask };
});

/** Host names that always mean "this machine" or an internal network, whatever DNS says. */
const LOCAL_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);
const LOCAL_SUFFIXES = ['.localhost', '.local', '.internal', '.localdomain'];

export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** Eight 16-bit groups, or undefined when `text` is not an IPv6 address (brackets allowed). */
export function parseIPv6(text: string): number[] | undefined {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(':')) return undefined;
  const lastColon = s.lastIndexOf(':');
  const maybeV4 = s.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const v4 = parseIPv4(maybeV4);
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const head = toGroups(halves[0] ?? '');
  const rest = halves.length === 2 ? toGroups(halves[1] ?? '') : [];
  if (!head || !rest) return undefined;
  const known = head.length + rest.length;
  if (halves.length === 2) {
    if (known > 7) return undefined;
    return [...head, ...new Array<number>(8 - known).fill(0), ...rest];
  }
  return known === 8 ? head : undefined;
}

function isBlockedV4(value: number): boolean {
  return BLOCKED_V4_RANGES.some(({ net, mask }) => ((value & mask) >>> 0) === net);
}

function embeddedV4(groups: readonly number[], hi: number, lo: number): number {
  return ((groups[hi] ?? 0) * 0x10000 + (groups[lo] ?? 0)) >>> 0;
}

function isBlockedV6(g: readonly number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0] = g;
  // ::/96 (unspecified, loopback, IPv4-compatible) and ::ffff:0:0/96 (IPv4-mapped)
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && (g5 === 0 || g5 === 0xffff)) {
    return isBlockedV4(embeddedV4(g, 6, 7));
  }
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return isBlockedV4(embeddedV4(g, 6, 7)); // NAT64
  }
  if (g0 === 0x2002) return isBlockedV4(embeddedV4(g, 1, 2)); // 6to4
  if (g0 === 0x2001 && g1 === 0) return true; // Teredo hides an arbitrary IPv4 address
  if (g0 === 0x2001 && g1 === 0xdb8) return true; // documentation
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return true; // site-local fec0::/10 (deprecated)
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  return false;
}

/** True when `address` is an IP literal (v4, or v6 with or without brackets). */
export function isIpLiteral(address: string): boolean {
  return parseIPv4(address) !== undefined || parseIPv6(address) !== undefined;
}

/** True for a loopback / private / link-local / CGNAT / multicast / reserved IP literal. */
export function isPrivateAddress(address: string): boolean {
  const v4 = parseIPv4(address);
  if (v4 !== undefined) return isBlockedV4(v4);
  const v6 = parseIPv6(address);
  if (v6 !== undefined) return isBlockedV6(v6);
  return false;
}

/** True for names that mean this machine or an internal network (`localhost`, `*.internal`...). */
export function isLocalHostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === '' || LOCAL_NAMES.has(name)) return true;
  if (!name.includes('.') && !isIpLiteral(name)) return true; // single-label names resolve via search domains
  return LOCAL_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/**
 * Load-time check of a URL host (as `new URL().hostname` gives it, so IPv4 shorthand such as
 * `2130706433` or `0x7f.1` is already normalised to dotted form). Returns why it is refused.
 */
export function refusedHostReason(hostname: string): string | undefined {
  if (isIpLiteral(hostname)) {
    return isPrivateAddress(hostname) ? `address ${hostname} is loopback, private, link-local or reserved` : undefined;
  }
  return isLocalHostName(hostname) ? `host name ${hostname} refers to the local or an internal network` : undefined;
}
