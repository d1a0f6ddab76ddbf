import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Socket } from 'node:net';
import { waitFor } from '../wait.js';
import { freePort } from './ports.js';

export interface PrivateRedisOptions {
  /** Append-only file, fsync every second (what docker-compose.yml runs). Default false: no persistence. */
  aof?: boolean;
}

/**
 * A redis-server of our own on a free port, so that a test can kill, hang and restart it without
 * touching the machine's shared Redis. Data lives in a temp folder (AOF, when enabled, survives
 * restarts like a real deployment's would).
 */
export class PrivateRedis {
  readonly dir = mkdtempSync(join(tmpdir(), 'wi-redis-'));
  private child?: ChildProcess;
  private exited?: Promise<void>;

  private constructor(
    readonly port: number,
    private readonly options: PrivateRedisOptions,
  ) {}

  static async start(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), options);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--logfile',
      join(this.dir, 'redis.log'),
      ...(this.options.aof ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no']),
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitFor(() => this.ping(), 10_000, `redis-server on port ${this.port}`, 50);
  }

  /** Like a crash or an OOM kill: no chance to write anything more. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Graceful stop (redis writes its AOF buffer and exits). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** Freezes the server: connections stay open, nothing is answered (a hung Redis). */
  hang(): void {
    this.child?.kill('SIGSTOP');
  }

  unhang(): void {
    this.child?.kill('SIGCONT');
  }

  /** Kills the server (if running) and deletes its folder. Safe to call more than once. */
  async destroy(): Promise<void> {
    this.unhang();
    await this.kill9();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** For exit handlers, where nothing asynchronous runs any more. */
  destroySync(): void {
    try {
      this.child?.kill('SIGCONT');
      this.child?.kill('SIGKILL');
    } catch {
      /* already gone */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    if (signal !== 'SIGKILL') child.kill('SIGCONT');
    child.kill(signal);
    await this.exited;
    this.child = undefined;
  }

  private ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = new Socket();
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(500, () => done(false));
      socket.once('error', () => done(false));
      socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
      socket.connect(this.port, '127.0.0.1', () => socket.write('PING\r\n'));
    });
  }
}
