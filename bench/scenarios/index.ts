/** Every scenario, in the order `npm run bench` runs them and RESULTS.md lists them. */
import type { Scenario } from '../lib/scenario.ts';
import { apps } from './apps.ts';
import { asyncThroughput } from './async-throughput.ts';
import { awsInvoke } from './aws-invoke.ts';
import { burstFromZero } from './burst.ts';
import { cluster } from './cluster.ts';
import { clusterFlows } from './cluster-flows.ts';
import { coldStart } from './cold-start.ts';
import { consoleScenario } from './console.ts';
import { cpuBound } from './cpu-bound.ts';
import { jsonEcho } from './json-echo.ts';
import { manyFunctions } from './many-functions.ts';
import { observability } from './observability.ts';
import { platformStart } from './platform-start.ts';
import { storePostgres } from './store-postgres.ts';
import { streaming } from './streaming.ts';
import { warmHello } from './warm-hello.ts';
import { websocketEcho } from './websocket.ts';
import { workflow } from './workflow.ts';

export const scenarios: readonly Scenario[] = [warmHello, jsonEcho, cpuBound, coldStart, burstFromZero, manyFunctions, asyncThroughput, workflow, observability, platformStart, awsInvoke, apps, storePostgres, cluster, clusterFlows, streaming, websocketEcho, consoleScenario];
