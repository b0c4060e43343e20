/** Mocha root hooks: a quiet Temporal runtime logger, and the shared control plane torn down once at the end. */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { teardownEnv } from './env.js';

// Runtime.install may run once per process, before any worker: this file is loaded first (.mocharc.json).
Runtime.install({ logger: new DefaultLogger((process.env['TEMPORAL_LOG'] as never) || 'ERROR') });

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await teardownEnv();
  },
};
