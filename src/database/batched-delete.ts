import type { Pool } from 'pg';

/** Rows per DELETE, and the breather between two, so ingestion and workers get the rows and I/O first. */
export const DELETE_BATCH_SIZE = 1000;
const PAUSE_MS = 20;

/**
 * Runs `deleteBatch` (a DELETE whose last parameter is the batch size, each its own short
 * transaction) until it deletes fewer than a batch or `stopped()` says so; returns the rows deleted.
 */
export async function deleteInBatches(
  pool: Pick<Pool, 'query'>,
  deleteBatch: string,
  params: readonly unknown[],
  stopped: () => boolean = () => false,
): Promise<number> {
  let total = 0;
  for (;;) {
    if (stopped()) return total;
    const { rowCount } = await pool.query(deleteBatch, [...params, DELETE_BATCH_SIZE]);
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < DELETE_BATCH_SIZE) return total;
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
}
