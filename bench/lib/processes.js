// Starting and talking to the two server processes (the inbox service and the bare endpoint).
import { fork } from 'node:child_process';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** A forked server: `url` once ready, `stats()` and `stop()` over IPC. */
export class ServerProcess {
  constructor(name, script, { env = {}, execArgv = [] } = {}) {
    this.name = name;
    this.stderr = '';
    this.child = fork(script, [], {
      env: { ...process.env, ...env },
      execArgv,
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    // Keep the tail of stderr for the error message if the child dies; warnings pass through.
    this.child.stderr.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk).slice(-8000);
      process.stderr.write(chunk);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.nextId = 0;
  }

  async ready() {
    const message = await this.receive((m) => m.type === 'ready', READY_TIMEOUT_MS, 'to start');
    this.url = message.url;
    return this;
  }

  /** Peak RSS so far (and, for the service, the no-op handler's run counts). */
  async stats() {
    const id = ++this.nextId;
    const reply = this.receive((m) => m.type === 'stats' && m.id === id, 10_000, 'to report its stats');
    this.child.send({ type: 'stats', id });
    return reply;
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.lastStats;
    const stopped = this.receive((m) => m.type === 'stopped', STOP_TIMEOUT_MS, 'to stop').catch(() => undefined);
    this.child.send({ type: 'stop' });
    this.lastStats = await stopped;
    // The timer is cleared once the child exits: left running it kept the bench alive for 30 s.
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS)));
    const exit = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (exit === 'timeout') this.child.kill('SIGKILL');
    return this.lastStats;
  }

  /** Kills the child at once (cleanup after a failure). */
  kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  receive(match, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const onMessage = (message) => {
        if (!match(message)) return;
        cleanup();
        resolve(message);
      };
      const onExit = (code, signal) => {
        cleanup();
        reject(
          new Error(
            `${this.name} exited (code ${code}, signal ${signal}) while waiting for it ${what}\n${this.stderr}`,
          ),
        );
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name} did not manage ${what} within ${timeoutMs} ms\n${this.stderr}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }
}

export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
