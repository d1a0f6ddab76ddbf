// Child process: the real service (same createApp as main.ts, built dist/, production settings
// from the environment the bench passes) plus the no-op bench handler, with the example feature's
// handlers' runs counted. Talks to the bench over IPC.
import 'reflect-metadata';

const distDir = process.env.BENCH_DIST_DIR;
// As main.ts does: tracing (on only when OTEL_EXPORTER_OTLP_ENDPOINT is set) starts before
// anything loads pg or ioredis, the call counter included.
const { startTracing } = await import(`${distDir}/src/app/tracing.js`);
await startTracing();
const { callCounts } = await import('./call-counter.js');
const { countExampleHandlerRuns, exampleHandlerRunStats } = await import('./example-handler-runs.js');
const { handlerRunStats, noopHandlerModule } = await import('./noop-handler.module.js');
const { createApp } = await import(`${distDir}/src/app/app.factory.js`);
const { loadConfig } = await import(`${distDir}/src/app/config/app-config.js`);

const config = loadConfig(process.env);
const app = await createApp(config, { extraImports: [await noopHandlerModule(distDir)] });
await countExampleHandlerRuns(app, distDir);
await app.listen({ port: 0, host: '127.0.0.1' });
const { port } = app.getHttpServer().address();

process.on('message', async (message) => {
  if (message?.type === 'stats') {
    process.send({
      type: 'stats',
      id: message.id,
      cpu: process.cpuUsage(),
      monotonicMicros: Number(process.hrtime.bigint() / 1000n),
      maxRssKb: process.resourceUsage().maxRSS,
      handler: handlerRunStats(),
      exampleHandlers: exampleHandlerRunStats(),
      calls: callCounts(),
    });
  } else if (message?.type === 'stop') {
    await app.close();
    process.send({
      type: 'stopped',
      maxRssKb: process.resourceUsage().maxRSS,
      handler: handlerRunStats(),
      exampleHandlers: exampleHandlerRunStats(),
    });
    // Exit explicitly so that --cpu-prof writes its profile even if a handle lingers.
    process.exit(0);
  }
});
process.send({ type: 'ready', url: `http://127.0.0.1:${port}` });
