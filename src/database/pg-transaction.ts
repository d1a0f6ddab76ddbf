import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in one transaction on a client of its own. A checked-out client has no error
 * listener of the pool's: if the server goes away while `work` waits on something else (Redis),
 * its 'error' event would crash the process. It is noted instead, and the client discarded.
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
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}
