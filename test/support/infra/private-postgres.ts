import { execFile, execFileSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '../wait.js';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** The newest PostgreSQL server binaries Debian installed (initdb, pg_ctl). */
function serverBinaries(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => +b - +a)
    : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL server binaries under ${root}`);
  return join(root, versions[0], 'bin');
}

/** Postgres refuses to run as root: as root, run its tools as the `postgres` OS user. */
const asPostgres = (command: string, args: string[]): [string, string[]] =>
  process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];

function postgresUid(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, 'postgres']).toString().trim()));
  return { uid, gid };
}

/**
 * A Postgres cluster of our own (initdb into a temp folder, a free port), so that a test can crash
 * and restart it without touching the machine's shared server. fsync is off: only an operating
 * system crash could lose data then, and a killed server loses nothing it acknowledged.
 */
export class PrivatePostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'wi-pg-'));
  private readonly bin = serverBinaries();

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivatePostgres> {
    const postgres = new PrivatePostgres(await freePort());
    const owner = postgresUid();
    if (owner) chownSync(postgres.dir, owner.uid, owner.gid);
    await postgres.tool('initdb', [
      '-D',
      postgres.dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
      '--no-instructions',
    ]);
    await postgres.start();
    return postgres;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get running(): boolean {
    return this.postmasterPid() !== undefined;
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${this.dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c max_connections=200',
      '-c shared_buffers=64MB',
    ].join(' ');
    await this.tool('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      join(this.dir, 'server.log'),
      '-o',
      options,
      '-w',
      '-t',
      '30',
      'start',
    ]);
  }

  /** SIGKILL to the postmaster: a crash. The next start runs crash recovery from the WAL. */
  async kill9(): Promise<void> {
    const pid = this.postmasterPid();
    if (!pid) return;
    process.kill(pid, 'SIGKILL');
    // Its backends notice the postmaster's death and exit; the pid disappears once reaped.
    await waitFor(() => !existsSync(`/proc/${pid}`), 15_000, `postmaster ${pid} to go away`, 100);
    await waitFor(() => this.processesInDataDir() === 0, 15_000, 'its backends to exit', 50);
  }

  /** `immediate` is a crash-like stop (no checkpoint); `fast` a clean one. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.postmasterPid()) return;
    await this.tool('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => this.kill9().catch(() => undefined));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** For exit handlers, where nothing asynchronous runs any more. */
  destroySync(): void {
    const pid = this.postmasterPid();
    if (pid) {
      try {
        process.kill(pid, 'SIGQUIT'); // immediate shutdown: the postmaster stops its backends too
      } catch {
        /* already gone */
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  serverLog(): string {
    try {
      return readFileSync(join(this.dir, 'server.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /**
   * SIGSTOP to the postmaster and every backend: a hung server, not a dead one. Connections stay
   * open and statements are accepted by the kernel, but nothing answers until `resume()`.
   */
  freeze(): void {
    for (const pid of this.pidsInDataDir()) process.kill(pid, 'SIGSTOP');
  }

  resume(): void {
    for (const pid of this.pidsInDataDir()) process.kill(pid, 'SIGCONT');
  }

  /** Processes still working in the data directory: the postmaster and its backends chdir there. */
  private processesInDataDir(): number {
    return this.pidsInDataDir().length;
  }

  private pidsInDataDir(): number[] {
    const dataDir = realpathSync(this.dataDir);
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readlinkSync(`/proc/${pid}/cwd`) === dataDir;
        } catch {
          return false; // gone meanwhile, or not ours to look at
        }
      })
      .map(Number);
  }

  private postmasterPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  private async tool(name: string, args: string[]): Promise<void> {
    const [command, fullArgs] = asPostgres(join(this.bin, name), args);
    try {
      await run(command, fullArgs, { timeout: 60_000 });
    } catch (error) {
      throw new Error(`${name} failed: ${(error as Error).message}\n${this.serverLog().slice(-2000)}`, {
        cause: error,
      });
    }
  }
}
