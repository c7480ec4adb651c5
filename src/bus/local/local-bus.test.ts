import { busContract } from '../contract.ts';
import { openLocalBus } from './local-bus.ts';

busContract('local (in-process)', async () => openLocalBus(), { sharedInstance: true });
