import { test } from 'node:test';
import { awsContract } from '../aws-contract.ts';
import { openFreshStore, pgSkipReason } from './test-database.ts';

const skip = await pgSkipReason();

if (skip !== null) test('PostgreSQL AWS keys and Lambda facts contract suite', { skip }, () => {});
else awsContract('postgres', openFreshStore);
