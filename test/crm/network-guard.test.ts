import { describe, expect, it } from 'vitest';
import { isLocalHostName, isPrivateAddress, parseIPv6 } from '../../src/crm/network-guard.js';

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '224.0.0.251',
    '255.255.255.255',
    '::1',
    '[::1]',
    '::',
    '::ffff:127.0.0.1',
    '[::ffff:7f00:1]',
    '::ffff:10.1.2.3',
    '::ffff:a9fe:a9fe',
    '64:ff9b::10.0.0.1',
    '2002:a00:1::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    'ff02::1',
  ])('refuses %s', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '11.0.0.1', '2606:4700::1111', '[2a00:1450::200e]', '::ffff:8.8.8.8', '2002:808:808::'])(
    'allows %s',
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );

  it('is false for names, which are checked when they resolve', () => {
    expect(isPrivateAddress('crm.example.com')).toBe(false);
  });
});

describe('parseIPv6', () => {
  it.each([
    ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
    ['::ffff:127.0.0.1', [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]],
    ['1:2:3:4:5:6:7:8', [1, 2, 3, 4, 5, 6, 7, 8]],
    ['fe80::1:2', [0xfe80, 0, 0, 0, 0, 0, 1, 2]],
    ['1:2:3:4:5:6:1.2.3.4', [1, 2, 3, 4, 5, 6, 0x102, 0x304]],
  ])('parses %s', (text, groups) => {
    expect(parseIPv6(text)).toEqual(groups);
  });

  it.each(['1:2:3', '1::2::3', '12345::', '::ffff:300.1.1.1', 'example.com', '1:2:3:4:5:6:7:8:9'])('rejects %s', (text) => {
    expect(parseIPv6(text)).toBeUndefined();
  });
});

describe('isLocalHostName', () => {
  it.each(['localhost', 'LOCALHOST.', 'a.localhost', 'printer.local', 'metadata.google.internal', 'intranet'])('refuses %s', (name) => {
    expect(isLocalHostName(name)).toBe(true);
  });

  it.each(['crm.example.com', 'localhost.example.com'])('allows %s', (name) => {
    expect(isLocalHostName(name)).toBe(false);
  });
});
