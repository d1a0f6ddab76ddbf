import 'reflect-metadata';
import { createApp } from './app.factory.js';
import { AppConfig, ConfigError, loadConfig } from './config/app-config.js';
import { preflight } from './preflight.js';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
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
  await app.listen({ port: config.PORT, host: config.HOST });
  console.log(`webhook-inbox (${config.APP_ROLE}) listening on ${await app.getUrl()}  —  docs: /docs`);
}

void main();
