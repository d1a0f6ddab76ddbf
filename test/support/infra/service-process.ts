import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { queuePrefix } from '../run-env.js';
import { sleep, waitFor } from '../wait.js';
import { canConnect } from './ports.js';

/** The built service, as a user starts it: `node dist/src/app/main.js`. */
export const MAIN = resolve('dist/src/app/main.js');

/** `npm test` builds first; fail clearly if someone runs a suite alone without a build. */
export function assertBuilt(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (npm test does it for you)`);
}

/** One run of the built service as a real process. */
export interface ServiceProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Its exit code once it is gone (null when a signal ended it). */
  exited: Promise<number | null>;
  readonly running: boolean;
  /** SIGKILL, like a crash or an OOM kill: no shutdown hook runs. Resolves once it is gone. */
  kill9(): Promise<void>;
  /** SIGTERM, as a deploy does, then SIGKILL if it is still there after `timeoutMs`; resolves with the exit code. */
  terminate(timeoutMs?: number): Promise<number | null>;
}

/**
 * Starts the built service with exactly `env` (plus PATH). Its output is kept in memory, or, with
 * `logFile`, appended to that file (for long runs whose logs are kept for a post-mortem).
 */
export function spawnService(env: Record<string, string>, options: { logFile?: string } = {}): ServiceProcess {
  assertBuilt();
  const processEnv = { PATH: process.env.PATH ?? '', ...env };
  let child: ChildProcess;
  let output = '';
  if (options.logFile) {
    const log = openSync(options.logFile, 'a');
    child = spawn(process.execPath, [MAIN], { env: processEnv, stdio: ['ignore', log, log] });
    closeSync(log);
  } else {
    child = spawn(process.execPath, [MAIN], { env: processEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
  }
  // 'close' rather than 'exit': by then every line it wrote has been read.
  const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => (options.logFile ? readLog(options.logFile) : output),
    exited,
    get running() {
      return isRunning();
    },
    async kill9() {
      if (isRunning()) child.kill('SIGKILL');
      await exited;
    },
    async terminate(timeoutMs = 30_000) {
      if (isRunning()) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Resolves when `pattern` shows up in the output; rejects if the process exits first or time runs out. */
export async function waitForOutput(
  service: ServiceProcess,
  pattern: RegExp,
  timeoutMs = 30_000,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void service.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    const match = service.output().match(pattern);
    if (match) return match;
    if (exitCode !== undefined) throw new Error(`service exited (${exitCode}) before ${pattern}:\n${service.output()}`);
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${pattern}:\n${service.output()}`);
}

/**
 * The built service for a suite: NODE_ENV=test, on a free port, on the run's Postgres database and
 * Redis under a queue prefix of its own; `env` overrides any of that. Resolves with its URL once it
 * listens.
 */
export async function startService(
  env: Record<string, string> = {},
): Promise<{ service: ServiceProcess; url: string }> {
  const service = spawnService({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: process.env.TEST_DATABASE_URL!,
    REDIS_URL: process.env.TEST_REDIS_URL!,
    QUEUE_PREFIX: queuePrefix('service'),
    ...env,
  });
  try {
    const [, url] = await waitForOutput(service, /listening on (http:\/\/\S+)/);
    return { service, url };
  } catch (error) {
    await service.kill9();
    throw error;
  }
}

/**
 * One process of a cluster (an api or a worker) that a run kills and restarts: on a fixed port, so
 * that it comes back at the same address, its output appended to `<logDir>/<name>.log`.
 */
export class RestartableService {
  readonly logFile: string;
  private current?: ServiceProcess;

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
    return !!this.current?.running;
  }

  /** Starts the process and resolves once it accepts connections. */
  async start(): Promise<void> {
    const service = spawnService(
      { ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      { logFile: this.logFile },
    );
    this.current = service;
    await waitFor(
      async () => {
        if (!service.running) throw new Error(`${this.name} exited during start:\n${this.tail()}`);
        return canConnect(this.port);
      },
      60_000,
      `${this.name} to listen on ${this.port}`,
      100,
    );
  }

  async kill9(): Promise<void> {
    await this.current?.kill9();
  }

  /** SIGTERM, as a deploy does; returns the exit code (null if it had to be killed, or was not running). */
  async terminate(timeoutMs = 30_000): Promise<number | null> {
    if (!this.running) return null;
    return this.current!.terminate(timeoutMs);
  }

  /** For exit handlers, where nothing asynchronous runs any more. */
  killSync(): void {
    if (this.running) this.current!.child.kill('SIGKILL');
  }

  tail(lines = 25): string {
    return readLog(this.logFile).trimEnd().split('\n').slice(-lines).join('\n');
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
