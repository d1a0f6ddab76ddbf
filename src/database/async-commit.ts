/**
 * A CTE that makes the statement's own (implicit) transaction commit asynchronously: Postgres
 * answers without waiting for the WAL flush, which the WAL writer (or the next synchronous
 * commit, since the WAL is flushed in order) does moments later. Reference it in the FROM list,
 * e.g. `WITH ${ASYNC_COMMIT} UPDATE t SET … FROM async_commit, …`; a CTE that is not read is
 * never run. The session setting is untouched.
 *
 * Only for a hint whose loss in a Postgres crash changes nothing but a little redundant work: the
 * `queued` mark of an event (the relay would queue it again; planning is idempotent). Never for
 * what a sender's 2xx promises (the event row), nor for a delivery's claim or outcome: those
 * count attempts and decide whether a handler runs again after a crash.
 */
export const ASYNC_COMMIT = `async_commit AS (SELECT set_config('synchronous_commit', 'off', true))`;
