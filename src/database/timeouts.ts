// Server-side limits on every connection: below the client-side query_timeout, so the server
// ends a stuck statement or transaction before the client gives up on it.

/** The longest any statement may run, enforced by the server. */
export const STATEMENT_TIMEOUT_MS = 10_000;
/**
 * The longest a connection may sit inside a transaction between two statements before the server
 * ends its session (rolling back and releasing its locks): a client that hangs or loses its
 * ROLLBACK mid-transaction cannot hold rows for longer. A transactional handler's transaction,
 * idle while the handler does other work, raises it for itself (see inFencedTransaction).
 */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000;
