import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { egressPolicy, parseEgressAllow } from './egress-policy.ts';

describe('egress policy', () => {
  const closed = egressPolicy('');

  it('refuses loopback, private, link-local and other non-public addresses by default', () => {
    const cases: Array<[string, RegExp]> = [
      ['127.0.0.1', /loopback/],
      ['127.255.0.9', /loopback/],
      ['::1', /loopback/],
      ['[::1]', /loopback/],
      ['10.1.2.3', /private/],
      ['172.16.0.1', /private/],
      ['172.31.255.255', /private/],
      ['192.168.1.1', /private/],
      ['fd12:3456::1', /private/],
      ['169.254.169.254', /link-local/],
      ['fe80::1%eth0', /link-local/],
      ['0.0.0.0', /unspecified/],
      ['::', /unspecified/],
      ['100.64.0.1', /shared/],
      ['224.0.0.1', /multicast/],
      ['255.255.255.255', /reserved/],
      ['192.0.2.2', /documentation/],
      ['203.0.113.9', /documentation/],
      ['2001:db8::1', /documentation/],
      ['fec0::1', /site-local/],
      ['64:ff9b:1::1', /private/],
    ];
    for (const [address, why] of cases) assert.match(closed.refusal(address) ?? 'allowed', why, address);
  });

  it('sees through IPv6 forms that carry an IPv4 address', () => {
    assert.match(closed.refusal('::ffff:127.0.0.1') ?? '', /loopback/);
    assert.match(closed.refusal('::ffff:7f00:1') ?? '', /loopback/); // how URL writes [::ffff:127.0.0.1]
    assert.match(closed.refusal('64:ff9b::a9fe:a9fe') ?? '', /link-local/); // NAT64 of 169.254.169.254
    assert.match(closed.refusal('::10.0.0.1') ?? '', /private/);
    assert.match(closed.refusal('2002:7f00:1::') ?? '', /loopback/); // 6to4 of 127.0.0.1
    assert.equal(closed.refusal('::ffff:8.8.8.8'), null);
  });

  it('lets public addresses through', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111']) assert.equal(closed.refusal(a), null, a);
  });

  it('opens what the operator allows: addresses, ranges, names, wildcards, everything', () => {
    const p = egressPolicy(' 127.0.0.1 , 10.0.0.0/8, fd00::/8, db.internal, *.corp.example ');
    assert.equal(p.refusal('127.0.0.1'), null);
    assert.match(p.refusal('127.0.0.2') ?? '', /loopback/);
    assert.equal(p.refusal('10.200.3.4'), null);
    assert.equal(p.refusal('::ffff:10.0.0.1'), null);
    assert.equal(p.refusal('fd00::5'), null);
    assert.match(p.refusal('192.168.0.1') ?? '', /private/);
    assert.ok(p.hostAllowed('db.internal'));
    assert.ok(p.hostAllowed('DB.Internal.'));
    assert.ok(p.hostAllowed('a.b.corp.example'));
    assert.ok(!p.hostAllowed('corp.example'));
    assert.ok(!p.hostAllowed('evil-db.internal'));
    assert.ok(!p.open);
    const open = egressPolicy('*');
    assert.ok(open.open);
    assert.equal(open.refusal('127.0.0.1'), null);
  });

  it("refuses the host's own addresses it is given, unless allowed explicitly", () => {
    const local = new Set(['8.8.4.4', '2606:4700::6810:1']);
    assert.match(closed.refusal('8.8.4.4', local) ?? '', /this host/);
    assert.match(closed.refusal('::ffff:8.8.4.4', local) ?? '', /this host/);
    assert.match(closed.refusal('2606:4700::6810:1', local) ?? '', /this host/);
    assert.equal(closed.refusal('8.8.8.8', local), null);
    assert.equal(egressPolicy('8.8.4.4').refusal('8.8.4.4', local), null);
  });

  it('an IPv6 range never opens IPv4: ::/0 is not "all of IPv4"', () => {
    const p = egressPolicy('::/0');
    assert.match(p.refusal('127.0.0.1') ?? '', /loopback/);
    assert.match(p.refusal('::ffff:127.0.0.1') ?? '', /loopback/);
    assert.equal(p.refusal('::1'), null);
  });

  it('host names are names: an address never matches one', () => {
    assert.ok(!egressPolicy('*.corp.example').hostAllowed('127.0.0.1'));
    assert.ok(!egressPolicy('localhost').hostAllowed('::1'));
  });

  it('names the entry it cannot read', () => {
    assert.throws(() => parseEgressAllow('*.1'), /last label is a number/);
    assert.throws(() => parseEgressAllow('127.1'), /last label is a number/);
    assert.throws(() => parseEgressAllow('2130706433'), /last label is a number/);
    assert.throws(() => parseEgressAllow('0.0.0.0'), /unspecified/);
    assert.throws(() => parseEgressAllow('::'), /unspecified/);
    assert.doesNotThrow(() => parseEgressAllow('0.0.0.0/0'));
    assert.throws(() => parseEgressAllow('10.0.0.0/0x8'), /prefix/);
    assert.throws(() => parseEgressAllow('10.0.0.0/ 8'), /prefix/);
    assert.throws(() => parseEgressAllow('fe80::1%eth0'), /zone/);
    assert.throws(() => parseEgressAllow('10.0.0.0/33'), /10\.0\.0\.0\/33/);
    assert.throws(() => parseEgressAllow('10.0.0.0/'), /prefix/);
    assert.throws(() => parseEgressAllow('db_internal'), /db_internal/);
    assert.throws(() => parseEgressAllow('host/8'), /range/);
    assert.doesNotThrow(() => parseEgressAllow(''));
  });
});
