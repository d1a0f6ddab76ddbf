import { Injectable, Logger } from '@nestjs/common';
import { DeliveryStore } from '../../inbox/store/delivery.store.js';

/**
 * How long a claimed delivery stays reserved for its job without a renewal. Short, because it is
 * what the relay waits for when a job is gone for good (Redis lost it, or it stalled too often);
 * a job that is merely re-run by BullMQ's stalled-job recovery takes its deliveries back at once
 * (they are claimed under its job id).
 */
export const DELIVERY_LEASE_MS = 60_000;
/** Renewal period: three renewals per lease, so one slow or failed renewal loses nothing. */
export const LEASE_RENEWAL_MS = 20_000;

/** Keeps the leases of a running job's deliveries alive for as long as the job really runs. */
@Injectable()
export class DeliveryLeases {
  private readonly logger = new Logger(DeliveryLeases.name);

  constructor(private readonly deliveries: DeliveryStore) {}

  async whileRunning<T>(jobId: string, handler: string, eventIds: string[], work: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => {
      this.deliveries
        .renewLeases(handler, eventIds, jobId, DELIVERY_LEASE_MS)
        .catch((error: Error) => this.logger.warn(`could not renew the leases of job ${jobId}: ${error.message}`));
    }, LEASE_RENEWAL_MS);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }
}
