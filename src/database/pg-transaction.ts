import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in one transaction on a client of its own. A checked-out client has no error
 * listener of the pool's: if the server goes away while `work` waits on something else (Redis),
 * its 'error' event would crash the process. It is noted instead, and the client discarded.
 *
 * After any failure the client is destroyed, never returned to the pool: a ROLLBACK that failed or
 * timed out (queued behind a statement that timed out) would otherwise leave it inside the
 * transaction, and the next user of the connection would write into a transaction that is later
 * rolled back.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => (broken = error);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    broken ??= error instanceof Error ? error : new Error(String(error));
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}
