import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where test databases are made: TEST_POSTGRES_URL (a server URL, no database), else the local server. */
const serverUrl = () => process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

/**
 * A database of its own for one test file: created empty, dropped at the end (with whatever
 * connections are still open to it), so parallel runs and leftovers never meet.
 */
export class TestDatabase {
  private constructor(
    readonly url: string,
    private readonly name: string,
    private readonly server: string,
  ) {}

  static async create(prefix = 'webhook_inbox_kit'): Promise<TestDatabase> {
    const server = serverUrl();
    const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    await maintenance(server, (client) => client.query(`CREATE DATABASE "${name}"`));
    return new TestDatabase(`${server}/${name}`, name, server);
  }

  async drop(): Promise<void> {
    await maintenance(this.server, (client) => client.query(`DROP DATABASE IF EXISTS "${this.name}" WITH (FORCE)`));
  }
}

async function maintenance(server: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: `${server}/postgres`, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
