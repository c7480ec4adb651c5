import { test } from 'node:test';
import { leaseContract } from '../lease-contract.ts';
import { workflowContract } from '../workflow-contract.ts';
import { openFreshStore, pgSkipReason } from './test-database.ts';

const skip = await pgSkipReason();

if (skip !== null) test('PostgreSQL workflow and lease contract suites', { skip }, () => {});
else {
  workflowContract('postgres', openFreshStore);
  leaseContract('postgres', openFreshStore);
}
