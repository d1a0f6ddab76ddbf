import { Injectable, Logger } from '@nestjs/common';
import { DeliveryStore } from '../../inbox/store/delivery.store.js';
import type { DeliveryRun } from './delivery-run.js';

/**
 * How long a started delivery stays reserved for its run without a renewal. It bounds how long a
 * delivery of a crashed worker waits before another run may take it over (BullMQ re-runs the job
 * after about LOCK_DURATION_MS, by then the lease has passed).
 */
export const DELIVERY_LEASE_MS = 15_000;
/** Renewal period: three renewals per lease, so one slow renewal loses nothing. */
export const LEASE_RENEWAL_MS = 5_000;

export interface LeaseKeeper {
  stop(): void;
}

/**
 * Keeps the leases of a run's started deliveries alive while the run lasts. A renewal that fails,
 * or finds a delivery no longer held by the run, marks the run lost: it starts nothing more.
 */
@Injectable()
export class DeliveryLeases {
  private readonly logger = new Logger(DeliveryLeases.name);

  constructor(private readonly deliveries: DeliveryStore) {}

  keep(run: DeliveryRun, held: () => string[]): LeaseKeeper {
    const timer = setInterval(() => {
      const ids = held();
      if (ids.length === 0) return;
      this.deliveries.renewLeases(ids, run.token, DELIVERY_LEASE_MS).then(
        (takenOver) => {
          if (takenOver > 0) run.lose(`${takenOver} delivery(ies) were taken over by another run`);
        },
        (error: Error) => {
          run.lose(`the leases could not be renewed (${error.message})`);
          this.logger.warn(`could not renew the leases of run ${run.token}: ${error.message}`);
        },
      );
    }, LEASE_RENEWAL_MS);
    return { stop: () => clearInterval(timer) };
  }
}
