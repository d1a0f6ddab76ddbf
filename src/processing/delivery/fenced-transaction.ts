import type { PoolClient } from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { IDLE_IN_TRANSACTION_TIMEOUT_MS } from '../../database/timeouts.js';
import { untilAborted } from '../../shared/time-limits.js';

/** A statement sent through the manager of an attempt that has already ended. */
export class AttemptEndedError extends Error {
  constructor() {
    super('this attempt has ended (timed out, shut down or taken over): its transaction was rolled back');
    this.name = 'AttemptEndedError';
  }
}

/**
 * Runs `work` in a transaction that no statement can reach once `signal` aborts. At the abort, the
 * manager starts refusing statements and a ROLLBACK goes straight to the connection, behind
 * whatever statement is in flight; the connection is released only after that ROLLBACK. A handler
 * that keeps running after its timeout therefore cannot commit anything: its next statement is
 * refused instead of running outside the transaction on a connection returned to the pool.
 */
export async function inFencedTransaction<T>(
  dataSource: DataSource,
  signal: AbortSignal,
  work: (manager: EntityManager) => Promise<T>,
  /** How long the transaction may sit idle between statements (the attempt's own time limit, plus a margin). */
  idleLimitMs = IDLE_IN_TRANSACTION_TIMEOUT_MS,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const connection = (runner as QueryRunner & { databaseConnection: PoolClient }).databaseConnection;
  // TypeORM's own listener handles one 'error' and then removes itself; a connection the server
  // drops can emit another (the FATAL message, then the closed socket), and an 'error' with no
  // listener crashes the process. This one stays on a connection that failed: it is discarded.
  let broken: Error | undefined;
  const onError = (error: Error) => (broken ??= error);
  connection.on('error', onError);
  let fenced = false;
  let rollback: Promise<unknown> | undefined;
  let failed: Error | undefined;
  const query = runner.query.bind(runner);
  runner.query = ((...args: Parameters<QueryRunner['query']>) =>
    fenced ? Promise.reject(new AttemptEndedError()) : query(...args)) as QueryRunner['query'];
  const fence = () => {
    fenced = true;
    rollback ??= connection.query('ROLLBACK').catch(() => undefined);
  };
  signal.addEventListener('abort', fence, { once: true });
  try {
    if (signal.aborted) throw signal.reason;
    await runner.startTransaction();
    // The connection's default would end a handler that spends longer than it on other work
    // between two statements; the fence, not the server, is what ends this transaction in time.
    if (idleLimitMs > IDLE_IN_TRANSACTION_TIMEOUT_MS) {
      await runner.query(`SET LOCAL idle_in_transaction_session_timeout = ${Math.ceil(idleLimitMs)}`);
    }
    const result = await untilAborted(work(runner.manager), signal);
    // COMMIT goes through the fenced query too: an abort before it is sent means no commit.
    await runner.commitTransaction();
    return result;
  } catch (error) {
    fence();
    await rollback;
    failed = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    signal.removeEventListener('abort', fence);
    // After a failure the connection is destroyed, never pooled: its ROLLBACK may have failed too.
    if (failed ?? broken)
      await (
        runner as QueryRunner & { releasePostgresConnection(err?: Error): Promise<void> }
      ).releasePostgresConnection(failed ?? broken);
    else {
      connection.removeListener('error', onError);
      await runner.release();
    }
  }
}
