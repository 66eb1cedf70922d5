import { describe, expect, it } from '@jest/globals';
import { ipLiteral, isPublicAddress, isReachable, parseNetworks } from './networks.js';

describe('which addresses are public (ADR 0013)', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '0.0.0.0',
    '0.1.2.3',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '192.0.0.8',
    '192.0.2.1',
    '198.18.0.1',
    '198.51.100.7',
    '203.0.113.9',
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '::127.0.0.1',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd12:3456::1',
    'fec0::1',
    'ff02::1',
    '2001:db8::1',
    '2001::1',
    '2002:7f00:1::1',
    '100::1',
    '3fff::1',
    '5f00::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '64:ff9b::a00:1',
    '64:ff9b::127.0.0.1',
    '64:ff9b:1::1',
    '::ffff:0:7f00:1',
    '::ffff:0:808:808',
  ])('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.32.0.1',
    '100.128.0.1',
    '192.169.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001::1',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it('ACTUATOR_ALLOW_NETWORKS opens ranges, for IPv4-mapped forms too, and nothing else', () => {
    const allowed = parseNetworks('127.0.0.0/8, ::1 ,10.1.0.0/16');
    expect(isReachable('127.0.0.1', allowed)).toBe(true);
    expect(isReachable('::ffff:127.0.0.1', allowed)).toBe(true);
    expect(isReachable('::1', allowed)).toBe(true);
    expect(isReachable('10.1.2.3', allowed)).toBe(true);
    expect(isReachable('10.2.0.1', allowed)).toBe(false);
    expect(isReachable('169.254.169.254', allowed)).toBe(false);
    expect(isReachable('fe80::1', allowed)).toBe(false);
    expect(isReachable('8.8.8.8', [])).toBe(true);
  });

  it('takes an IPv4 range written in IPv4-mapped or NAT64 form as that IPv4 range', () => {
    const allowed = parseNetworks('::ffff:10.0.0.0/104, 64:ff9b::192.168.1.0/120');
    expect(allowed.map(([a, b]) => `${a.toString()}/${b}`)).toEqual(['10.0.0.0/8', '192.168.1.0/24']);
    expect(isReachable('10.9.8.7', allowed)).toBe(true);
    expect(isReachable('::ffff:10.9.8.7', allowed)).toBe(true);
    expect(isReachable('192.168.1.20', allowed)).toBe(true);
    expect(isReachable('192.168.2.20', allowed)).toBe(false);
    expect(() => parseNetworks('::ffff:0:0/80')).toThrow(/wider than the IPv4 addresses/);
  });

  it('parses only dotted quads and RFC 4291 addresses, with a prefix in range', () => {
    expect(parseNetworks('')).toEqual([]);
    expect(parseNetworks('10.0.0.0/8').map(([a, b]) => `${a.toString()}/${b}`)).toEqual(['10.0.0.0/8']);
    for (const bad of [
      '127.1',
      '10.0.0.0/33',
      '::1/129',
      'localhost',
      '10.0.0.0/8/8',
      '0x7f000001',
      'fe80::1%eth0',
      '10.0.0.0/-1',
      '10.0.0.0/',
    ])
      expect(() => parseNetworks(bad)).toThrow(/not an IP address|prefix length/);
  });

  it('tells IP literals in a URL host from names', () => {
    expect(ipLiteral('[::1]')).toBe('::1');
    expect(ipLiteral('127.0.0.1')).toBe('127.0.0.1');
    expect(ipLiteral('localhost')).toBeNull();
    expect(ipLiteral('ops.example.com')).toBeNull();
  });
});
