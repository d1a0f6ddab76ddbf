/** The database a fresh checkout uses: local Postgres, trust auth. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/webhook_inbox';
