import type { LookupAddress, LookupOptions } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { createSsrfGuard, isForbiddenAddress, SsrfRefusedError, type Resolver, type SsrfGuard } from './ssrf';

describe('isForbiddenAddress', () => {
  it.each([
    // IPv4
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', '"this network"'],
    ['0.1.2.3', '"this network"'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.100.100.200', 'shared (CGNAT)'], // Alibaba metadata
    ['169.254.0.1', 'link-local'],
    ['169.254.169.254', 'cloud metadata'],
    ['192.0.0.192', 'IETF protocol assignment'], // Oracle metadata
    ['192.0.2.10', 'documentation'],
    ['198.51.100.1', 'documentation'],
    ['203.0.113.7', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['192.88.99.1', '6to4 relay anycast'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    // IPv6
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique local'],
    ['fd12:3456::1', 'unique local'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'site-local (deprecated)'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped cloud metadata'],
    ['0:0:0:0:0:ffff:10.1.2.3', 'IPv4-mapped private'],
    ['::127.0.0.1', 'IPv4-compatible (deprecated)'],
    ['::7f00:1', 'IPv4-compatible (deprecated)'],
    ['::8.8.8.8', 'IPv4-compatible (deprecated)'],
    ['64:ff9b::127.0.0.1', 'NAT64 loopback'],
    ['64:ff9b::a00:1', 'NAT64 private'],
    ['64:ff9b:1::1', 'NAT64 local-use'],
    ['2002:7f00:1::', '6to4 loopback'],
    ['2002:c0a8:101::1', '6to4 private'],
    ['2002:a9fe:a9fe::1', '6to4 cloud metadata'],
    ['2001::1', 'Teredo'],
    ['2001:db8::1', 'documentation'],
    ['100::1', 'discard-only'],
    ['5f00::1', 'reserved'],
    // Not an address at all: fail closed.
    ['localhost', 'not an IP address'],
    ['0177.0.0.1', 'not an IP address'],
    ['', 'not an IP address'],
  ])('%s → %s', (ip, reason) => {
    expect(isForbiddenAddress(ip)).toBe(reason);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '169.253.255.255',
    '223.255.255.255',
    '2606:4700::1111',
    '[2606:4700:4700::1111]',
    '2001:4860:4860::8888',
    '::ffff:93.184.216.34',
    '64:ff9b::808:808',
    '2002:5db8:d822::1',
  ])('%s is allowed', (ip) => {
    expect(isForbiddenAddress(ip)).toBeNull();
  });
});

describe('WHATWG URL normalisation of numeric hosts', () => {
  it.each([
    ['http://2130706433/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://017700000001/', '127.0.0.1'],
    ['http://0xA9.0xFE.0xA9.0xFE/', '169.254.169.254'],
    ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
    ['http://[0:0:0:0:0:0:0:1]/', '[::1]'],
    ['http://LOCALHOST./', 'localhost.'],
  ])('%s → hostname %s, which the guard classifies', (url, hostname) => {
    const h = new URL(url).hostname;
    expect(h).toBe(hostname);
    if (h !== 'localhost.') expect(isForbiddenAddress(h)).not.toBeNull();
  });
});

const lookupP = (guard: SsrfGuard, host: string, options: LookupOptions = {}) =>
  new Promise<{ address: string | LookupAddress[]; family?: number }>((resolve, reject) =>
    guard.lookup(host, options, (err, address, family) => (err ? reject(err) : resolve({ address, family }))),
  );

const fixed =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('createSsrfGuard', () => {
  const base = { allowPrivate: false, allowHosts: [] };

  it('checkHost refuses forbidden IP literals and lets host names through to lookup', () => {
    const guard = createSsrfGuard(base);
    expect(() => guard.checkHost('127.0.0.1')).toThrow(SsrfRefusedError);
    expect(() => guard.checkHost('[::1]')).toThrow('refused to connect to ::1: loopback');
    expect(() => guard.checkHost('93.184.216.34')).not.toThrow();
    expect(() => guard.checkHost('example.com')).not.toThrow();
  });

  it('lookup refuses a name when ANY address is forbidden', async () => {
    const guard = createSsrfGuard({ ...base, resolve: fixed('93.184.216.34', '10.0.0.5') });
    const err = await lookupP(guard, 'mixed.test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SsrfRefusedError);
    expect(err).toMatchObject({ host: 'mixed.test', address: '10.0.0.5', reason: 'private' });
  });

  it('lookup pins the first address, in both callback shapes, honouring family', async () => {
    const guard = createSsrfGuard({ ...base, resolve: fixed('2606:4700::1111', '93.184.216.34', '1.1.1.1') });
    expect(await lookupP(guard, 'ok.test')).toEqual({ address: '2606:4700::1111', family: 6 });
    expect(await lookupP(guard, 'ok.test', { all: true })).toEqual({
      address: [{ address: '2606:4700::1111', family: 6 }],
    });
    expect(await lookupP(guard, 'ok.test', { family: 4 })).toEqual({ address: '93.184.216.34', family: 4 });
  });

  it('refuses the real resolver answer for localhost', async () => {
    const guard = createSsrfGuard(base);
    await expect(lookupP(guard, 'localhost')).rejects.toBeInstanceOf(SsrfRefusedError);
  });

  it('DNS rebinding: a name that resolved public at validation time is refused at connect time', async () => {
    let calls = 0;
    const rebinding: Resolver = async () => [{ address: calls++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
    const guard = createSsrfGuard({ ...base, resolve: rebinding });
    expect(await lookupP(guard, 'rebind.test')).toEqual({ address: '93.184.216.34', family: 4 });
    await expect(lookupP(guard, 'rebind.test')).rejects.toMatchObject({ name: 'SsrfRefusedError', address: '127.0.0.1' });
  });

  it('allowPrivate allows everything; allowHosts exempts listed names and IPs only', async () => {
    const loop = fixed('127.0.0.1');
    expect(await lookupP(createSsrfGuard({ allowPrivate: true, allowHosts: [], resolve: loop }), 'x.test')).toMatchObject({
      address: '127.0.0.1',
    });
    expect(() => createSsrfGuard({ allowPrivate: true, allowHosts: [] }).checkHost('169.254.169.254')).not.toThrow();

    const byName = createSsrfGuard({ ...base, allowHosts: ['Hooks.Internal.'], resolve: loop });
    expect(await lookupP(byName, 'hooks.internal')).toMatchObject({ address: '127.0.0.1' });
    await expect(lookupP(byName, 'other.internal')).rejects.toBeInstanceOf(SsrfRefusedError);

    const byIp = createSsrfGuard({ ...base, allowHosts: ['127.0.0.1', '[0:0::1]'], resolve: fixed('127.0.0.1', '::1') });
    expect(await lookupP(byIp, 'any.test')).toMatchObject({ address: '127.0.0.1' });
    expect(() => byIp.checkHost('[::1]')).not.toThrow();
    expect(() => byIp.checkHost('127.0.0.2')).toThrow(SsrfRefusedError);
  });

  it('passes resolver errors through untouched', async () => {
    const guard = createSsrfGuard({
      ...base,
      resolve: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND nope.invalid'), { code: 'ENOTFOUND' });
      },
    });
    await expect(lookupP(guard, 'nope.invalid')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
