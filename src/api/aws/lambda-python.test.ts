import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessIsolation } from '../../runtime/process/isolation.ts';
import { lambdaErrorObject, pythonCommand, pythonUnavailable } from './lambda-python.ts';

const isolation = (over: Partial<ProcessIsolation>): ProcessIsolation =>
  ({ sandbox: 'bubblewrap', namespaces: [], memoryLimit: 'none', processLimit: 'none', dieWithPlatform: 'none', network: 'namespace', hostNetworkAllowed: false, notes: [], cgroup: null, unshare: false, prlimit: false, setpriv: false, disableUserns: false, ...over }) as ProcessIsolation;

describe('python Lambda functions', () => {
  it('says why the app runtime cannot run them', () => {
    assert.match(pythonUnavailable(undefined, 'python3.12')!, /no app runtime/);
    assert.match(pythonUnavailable(isolation({ network: 'host' }), 'python3.12')!, /network namespace .*--app-host-network/);
  });

  it('reads back the Lambda error object the dispatcher kept, and nothing else', () => {
    const lambdaError = { errorMessage: 'm', errorType: 'KeyError', requestId: 'r', stackTrace: ['  File "a.py"'] };
    assert.deepEqual(lambdaErrorObject({ errorName: 'KeyError', errorMessage: 'm', lambdaError }), lambdaError);
    assert.equal(lambdaErrorObject({ errorName: 'Http500', errorMessage: JSON.stringify(lambdaError) }), null);
    assert.equal(lambdaErrorObject({ lambdaError: { errorMessage: 'm' } }), null);
  });

  it('quotes what the command carries', () => {
    const cmd = pythonCommand('a.b', 'python3.12', 'f', "arn:it's", 128, 3000);
    assert.match(cmd, /^exec \/usr\/bin\/python3[.\d]* -u __nimbus_lambda_bootstrap\.py 'a\.b' 'f' 128 3000 'arn:it'\\''s'$/);
  });
});
