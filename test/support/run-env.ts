import { randomUUID } from 'node:crypto';

/**
 * A BullMQ key prefix of its own under the run's (TEST_QUEUE_PREFIX, set by global-setup.ts), so
 * that one app's or process's jobs are never taken by another's workers.
 */
export const queuePrefix = (name = 'app') => `${process.env.TEST_QUEUE_PREFIX}-${name}-${randomUUID().slice(0, 8)}`;
