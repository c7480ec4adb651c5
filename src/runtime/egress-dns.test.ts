/**
 * dns.resolve* under the egress rules, against a resolver that answers from a table and
 * records what it was asked: addresses filtered, local names refused unless allowed, every
 * name asked as absolute, other record types given as they are.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guardedResolve, type DnsResolver } from './egress-dns.ts';
import { egressPolicy } from './egress-policy.ts';

const ZONE: Record<string, Record<string, unknown>> = {
  'mixed.example.': { A: [{ address: '93.184.216.34', ttl: 60 }, { address: '10.0.0.7', ttl: 60 }], AAAA: [{ address: '::1', ttl: 30 }, { address: '2606:2800:220:1::1', ttl: 30 }] },
  'inside.example.': { A: [{ address: '127.0.0.1', ttl: 5 }, { address: '169.254.169.254', ttl: 5 }] },
  'mail.example.': { MX: [{ exchange: 'mx1.mail.example', priority: 10 }] },
  'txt.example.': { TXT: [['v=spf1 ', '-all'], ['hello']] },
  '_mongodb._tcp.cluster.example.': { SRV: [{ name: 'shard-0.cluster.example', port: 27017, priority: 0, weight: 0 }] },
  'www.example.': { CNAME: ['example.'] },
  'example.': { NS: ['a.iana-servers.net'] },
  'db.internal.': { A: [{ address: '10.1.2.3', ttl: 60 }] },
};

function tableResolver(asked: string[]): DnsResolver {
  const answer = (type: string) => async (name: string) => {
    asked.push(`${type} ${name}`);
    const found = ZONE[name]?.[type];
    if (found === undefined) throw Object.assign(new Error(`query${type} ENOTFOUND ${name}`), { code: ZONE[name] ? 'ENODATA' : 'ENOTFOUND' });
    return found;
  };
  return {
    resolve4: answer('A'),
    resolve6: answer('AAAA'),
    resolveMx: answer('MX'),
    resolveTxt: answer('TXT'),
    resolveSrv: answer('SRV'),
    resolveCname: answer('CNAME'),
    resolveNs: answer('NS'),
  } as unknown as DnsResolver;
}

const refusalOf = (allow: string) => (address: string) => egressPolicy(allow).refusal(address);
const resolverWith = (allow: string, asked: string[] = []) => guardedResolve(egressPolicy(allow), refusalOf(allow), tableResolver(asked));
const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return `${(e as { code: string }).code}: ${(e as Error).message}`;
  }
};

describe('dns.resolve* under the egress rules', () => {
  it('A and AAAA answers keep only the addresses user code may reach, with their TTLs', async () => {
    const resolve = resolverWith('');
    assert.deepEqual(await resolve('mixed.example', 'A'), [['93.184.216.34', 60]]);
    assert.deepEqual(await resolve('mixed.example', 'AAAA'), [['2606:2800:220:1::1', 30]]);
  });

  it('a name whose every address is refused is EACCES, naming no address', async () => {
    const message = await codeOf(resolverWith('')('inside.example', 'A'));
    assert.match(message, /^EACCES: inside\.example resolves only to addresses user code may not reach; .*--egress-allow inside\.example/);
    assert.doesNotMatch(message, /127\.0\.0\.1|169\.254/);
  });

  it('an allowed name, range or * gives the answer in full', async () => {
    assert.deepEqual(await resolverWith('inside.example')('inside.example', 'A'), [['127.0.0.1', 5], ['169.254.169.254', 5]]);
    assert.deepEqual(await resolverWith('127.0.0.0/8')('inside.example', 'A'), [['127.0.0.1', 5]]);
    assert.deepEqual(await resolverWith('*')('mixed.example', 'A'), [['93.184.216.34', 60], ['10.0.0.7', 60]]);
  });

  it('local names are refused before any query unless allowed; every name is asked as absolute', async () => {
    const asked: string[] = [];
    const resolve = resolverWith('', asked);
    for (const name of ['db', 'db.internal', 'printer.local', 'localhost', 'x.home.arpa', '1.0.0.10.in-addr.arpa', 'DB.Internal.']) {
      assert.match(await codeOf(resolve(name, 'A')), /^EACCES: .* is a local name, which user code may not look up; .*--egress-allow/, name);
    }
    assert.deepEqual(asked, []);
    assert.deepEqual(await resolverWith('db.internal', asked)('db.internal', 'A'), [['10.1.2.3', 60]]);
    assert.deepEqual(await resolverWith('*.internal', asked)('DB.internal.', 'A'), [['10.1.2.3', 60]]);
    await resolve('Mail.Example', 'MX');
    assert.deepEqual(asked, ['A db.internal.', 'A db.internal.', 'MX mail.example.']);
  });

  it('MX, TXT, SRV, CNAME and NS come as Node gives them', async () => {
    const resolve = resolverWith('');
    assert.deepEqual(await resolve('mail.example', 'MX'), [{ exchange: 'mx1.mail.example', priority: 10 }]);
    assert.deepEqual(await resolve('txt.example', 'TXT'), [['v=spf1 ', '-all'], ['hello']]);
    assert.deepEqual(await resolve('_mongodb._tcp.cluster.example', 'SRV'), [{ name: 'shard-0.cluster.example', port: 27017, priority: 0, weight: 0 }]);
    assert.deepEqual(await resolve('www.example', 'CNAME'), ['example.']);
    assert.deepEqual(await resolve('example', 'NS').catch((e: { code: string }) => e.code), 'EACCES', 'one label is local');
  });

  it('the resolver’s own errors keep their code; bad names and types are refused', async () => {
    const resolve = resolverWith('');
    assert.match(await codeOf(resolve('nowhere.example', 'A')), /^ENOTFOUND/);
    assert.match(await codeOf(resolve('mail.example', 'TXT')), /^ENODATA/);
    assert.match(await codeOf(resolve('bad name.example', 'A')), /^EBADNAME/);
    assert.match(await codeOf(resolve(`${'a'.repeat(64)}.example`, 'A')), /^EBADNAME/);
    assert.match(await codeOf(resolve('', 'A')), /^EBADNAME/);
    assert.match(await codeOf(resolve('mail.example', 'PTR' as 'A')), /^EINVAL/);
  });
});
