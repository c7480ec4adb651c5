import { test } from 'node:test';
import { queueContract } from '../queue-contract.ts';
import { openFreshStore, pgSkipReason } from './test-database.ts';

const skip = await pgSkipReason();

if (skip !== null) test('PostgreSQL queue contract suite', { skip }, () => {});
else queueContract('postgres', openFreshStore);
