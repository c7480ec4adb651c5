import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aliasRevisionId, aliasVersionOf, routesOf, routingOf } from './alias-routing.ts';
import { AwsError } from './errors.ts';

const invalid = (pattern: RegExp) => (e: unknown) => e instanceof AwsError && e.type === 'InvalidParameterValueException' && e.status === 400 && pattern.test(e.message);

describe('Lambda alias routing ↔ Nimbus alias routes', () => {
  it('a primary alone takes all the traffic; an additional weight w leaves the primary 1 − w', () => {
    assert.deepEqual(routesOf(3, undefined), [{ version: 3, weight: 100 }]);
    assert.deepEqual(routesOf(3, {}), [{ version: 3, weight: 100 }]);
    assert.deepEqual(routesOf(1, { '2': 0.1 }), [{ version: 1, weight: 90 }, { version: 2, weight: 10 }]);
    assert.deepEqual(routesOf(1, { '2': 0.07 }), [{ version: 1, weight: 93 }, { version: 2, weight: 7 }]);
    assert.deepEqual(routesOf(1, { '2': 0 }), [{ version: 1, weight: 100 }, { version: 2, weight: 0 }]);
  });

  it('answers routes back as Lambda writes them, primary first', () => {
    assert.deepEqual(routingOf([{ version: 3, weight: 100 }]), { FunctionVersion: '3' });
    assert.deepEqual(routingOf([{ version: 1, weight: 90 }, { version: 2, weight: 10 }]), { FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } } });
    for (const w of [0, 0.01, 0.1, 0.33, 0.5, 0.99, 1]) {
      assert.deepEqual(routingOf(routesOf(4, { '7': w })).RoutingConfig?.AdditionalVersionWeights, { '7': w }, `weight ${w}`);
    }
  });

  it('refuses what Nimbus cannot express, with a message saying why', () => {
    assert.throws(() => routesOf(1, { '2': 0.1, '3': 0.1 }), invalid(/at most two versions/));
    assert.throws(() => routesOf(1, { '2': 0.055 }), invalid(/whole percent.*0\.055/));
    assert.throws(() => routesOf(1, { '1': 0.5 }), invalid(/already the alias's FunctionVersion/));
    assert.throws(() => routesOf(1, { '2': 1.5 }), invalid(/0\.0 to 1\.0/));
    assert.throws(() => routesOf(1, { '2': '0.1' }), invalid(/0\.0 to 1\.0/));
    assert.throws(() => routesOf(1, { $LATEST: 0.1 }), invalid(/\$LATEST/));
    assert.throws(() => routesOf(1, [0.1]), invalid(/map of version/));
    assert.throws(() => aliasVersionOf('$LATEST', 'FunctionVersion'), invalid(/fixed version.*PublishVersion/));
    assert.throws(() => aliasVersionOf('v1', 'FunctionVersion'), invalid(/version number/));
    assert.equal(aliasVersionOf('12', 'FunctionVersion'), 12);
  });

  it('the revision id is UUID-shaped and changes with the routes and the update time', () => {
    const a = { functionName: 'f', name: 'live', routes: [{ version: 1, weight: 100 }], previous: null, updatedAt: 1 };
    assert.match(aliasRevisionId(a), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(aliasRevisionId(a), aliasRevisionId({ ...a }));
    assert.notEqual(aliasRevisionId(a), aliasRevisionId({ ...a, updatedAt: 2 }));
    assert.notEqual(aliasRevisionId(a), aliasRevisionId({ ...a, routes: [{ version: 2, weight: 100 }] }));
  });
});
