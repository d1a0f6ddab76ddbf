import type pg from 'pg';

/**
 * Holds the lock the example subscription handlers take first (SubscriptionLedger.lock), so that
 * a handler for this subscription stops mid-transaction until release().
 */
export async function holdSubscriptionLock(db: pg.Pool, subscriptionId: string) {
  const client = await db.connect();
  await client.query(`SELECT pg_advisory_lock(hashtextextended('subscription:' || $1, 0))`, [subscriptionId]);
  return {
    /** True once some session waits for an advisory lock (the handler, mid-run). */
    async someoneWaits(): Promise<boolean> {
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
      );
      return rows[0].n > 0;
    },
    async release(): Promise<void> {
      await client.query('SELECT pg_advisory_unlock_all()');
      client.release();
    },
  };
}
