import { test } from 'node:test';
import { leaseContract } from '../lease-contract.ts';
import { nodeContract } from '../node-contract.ts';
import { workflowContract } from '../workflow-contract.ts';
import { openFreshStore, pgSkipReason } from './test-database.ts';

const skip = await pgSkipReason();

if (skip !== null) test('PostgreSQL workflow, lease and node contract suites', { skip }, () => {});
else {
  workflowContract('postgres', openFreshStore);
  leaseContract('postgres', openFreshStore);
  nodeContract('postgres', openFreshStore);
}
