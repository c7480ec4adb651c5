import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isNimbusError } from '../../core/errors.ts';
import { refuseWithoutNetworkOptIn } from './app-runtime.ts';
import type { ProcessIsolation } from './isolation.ts';

const base: ProcessIsolation = {
  sandbox: 'bubblewrap', namespaces: [], memoryLimit: 'none', processLimit: 'none', dieWithPlatform: 'none', network: 'host', hostNetworkAllowed: false, notes: [],
  cgroup: null, unshare: false, prlimit: false, setpriv: false, disableUserns: false,
};

describe('which network app and node deploys may run on', () => {
  it('a network namespace, or the host network where the operator chose it (--app-host-network)', () => {
    refuseWithoutNetworkOptIn({ ...base, network: 'namespace' });
    refuseWithoutNetworkOptIn({ ...base, hostNetworkAllowed: true });
  });

  it('the host network without the operator: refused, saying why and how to allow it', () => {
    assert.throws(
      () => refuseWithoutNetworkOptIn(base),
      (e: unknown) => isNimbusError(e) && e.code === 'NIMBUS_ERR_VALIDATION' && /network namespace.*--app-host-network/.test(e.message) && e.extra?.field === 'config.runtime',
    );
  });
});
