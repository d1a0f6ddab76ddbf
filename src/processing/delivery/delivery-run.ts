import { randomUUID } from 'node:crypto';

/** The run was stopped before it had started every delivery of its job; the job is tried again. */
export class RunInterruptedError extends Error {
  constructor(reason: string) {
    super(`the run stopped before its next delivery: ${reason}`);
    this.name = 'RunInterruptedError';
  }
}

/**
 * One run of one job. Its token is what the deliveries it starts are claimed under: a re-run of
 * the same job (BullMQ's stalled-job recovery) is another run with another token, so it never
 * takes over deliveries that a run still alive holds under a valid lease. A run that loses its
 * lease or its job lock stops before its next delivery.
 */
export class DeliveryRun {
  readonly token: string;
  private lostReason?: string;

  constructor(
    readonly jobId: string,
    /** Aborted when the worker shuts down past its grace period. */
    readonly shutdown: AbortSignal,
  ) {
    this.token = `${jobId}/${randomUUID().slice(0, 8)}`;
  }

  /** The run no longer holds what it started (lease not renewed, taken over, job lock lost). */
  lose(reason: string): void {
    this.lostReason ??= reason;
  }

  /** Why the run must not start another delivery, if it must not. */
  get stopReason(): string | undefined {
    if (this.shutdown.aborted) return 'the worker is shutting down';
    return this.lostReason;
  }
}
