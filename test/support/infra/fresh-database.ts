import pg from 'pg';

export interface FreshDatabase {
  url: string;
  /** A pool on it, for the test's own queries and assertions. */
  db: pg.Pool;
  drop(): Promise<void>;
}

/**
 * A database of its own on the run's Postgres server, so that one suite's leftovers (events still
 * `received`, say) can never be picked up by another suite's relay. Dropped after the suite.
 */
export async function freshDatabase(suffix: string): Promise<FreshDatabase> {
  const runUrl = new URL(process.env.TEST_DATABASE_URL!);
  const name = `${runUrl.pathname.slice(1)}_${suffix}`;
  const admin = new URL(runUrl);
  admin.pathname = '/postgres';
  await withClient(admin.toString(), (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(runUrl);
  url.pathname = `/${name}`;
  const db = new pg.Pool({ connectionString: url.toString(), max: 4 });
  return {
    url: url.toString(),
    db,
    async drop() {
      await db.end();
      await withClient(admin.toString(), (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
