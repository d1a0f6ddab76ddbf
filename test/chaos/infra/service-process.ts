import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { canConnect, pollUntil } from './ports.js';

const MAIN = resolve('dist/src/app/main.js');

/**
 * One `node dist/src/app/main.js` process of the chaos cluster (an api or a worker), on a fixed port so
 * that it comes back at the same address after a restart. Output is appended to a log file.
 */
export class ServiceProcess {
  private child?: ChildProcess;
  private exit?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly logFile: string;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    logDir: string,
  ) {
    this.logFile = join(logDir, `${name}.log`);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and resolves once it accepts connections. */
  async start(): Promise<void> {
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.child = child;
    this.exit = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
    await pollUntil(
      async () => {
        if (!this.running) throw new Error(`${this.name} exited during start:\n${this.tail()}`);
        return canConnect(this.port);
      },
      60_000,
      `${this.name} to listen on ${this.port}`,
      100,
    );
  }

  /** SIGKILL: no shutdown hook runs. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exit;
  }

  /** SIGTERM, as a deploy does; returns the exit code (SIGKILL after `timeoutMs`, then null). */
  async terminate(timeoutMs = 30_000): Promise<number | null> {
    if (!this.running) return null;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    const { code } = await this.exit!;
    clearTimeout(timer);
    return code;
  }

  /** For exit handlers, where nothing asynchronous runs any more. */
  killSync(): void {
    if (this.running) this.child!.kill('SIGKILL');
  }

  tail(lines = 25): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}
