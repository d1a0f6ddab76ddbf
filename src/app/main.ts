import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { AppConfig } from './config/app-config.js';
import { startTracing, stopTracing } from './tracing.js';

async function main(): Promise<void> {
  // Before anything that loads pg or ioredis, so that tracing (when configured) can instrument
  // them: the app is imported only once the SDK runs.
  await startTracing();
  const { ConfigError } = await import('./config/app-config.js');
  const { readAppConfig } = await import('./config/app-config.module.js');
  const { preflight } = await import('./preflight.js');
  const { createApp } = await import('./app.factory.js');
  let config: AppConfig;
  try {
    config = await readAppConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  // One clear line instead of a stack trace when Postgres or Redis is not there.
  const problem = await preflight(config);
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
  const app = await createApp(config);
  stopGracefullyOnSignals(app, config);
  await app.listen({ port: config.PORT, host: config.HOST });
  console.log(`webhook-inbox (${config.APP_ROLE}) listening on ${await app.getUrl()}  —  docs: /docs`);
}

/**
 * SIGTERM/SIGINT: app.close() stops accepting connections, lets in-flight requests finish, runs
 * every shutdown hook (workers get SHUTDOWN_GRACE_MS to finish their handlers, then queues and
 * pools close), and the process exits 0. (Nest's enableShutdownHooks would re-raise the signal
 * after the hooks, so the exit status would say "killed" even after a clean stop.) A second signal,
 * or a stop that overruns the grace by 10 s, exits 1 at once.
 */
function stopGracefullyOnSignals(app: INestApplication, config: AppConfig): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`${signal} received: stopping`);
    setTimeout(() => {
      console.error('shutdown took too long: exiting');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS + 10_000).unref();
    app.close().then(
      // The last spans (the shutdown's own) are exported before the process goes.
      () => stopTracing().then(() => process.exit(0)),
      (error: Error) => {
        console.error(`shutdown failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
