import type { NodeSDK } from '@opentelemetry/sdk-node';
import { register } from 'node:module';

let sdk: NodeSDK | undefined;

/** Tracing is on when an OTLP endpoint is configured (the standard OTEL_* variables), and not disabled. */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  return !!(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the OpenTelemetry SDK when tracing is configured, else does nothing (and loads none of
 * it). Must run before pg and ioredis are imported: instrumentation patches a module as it is
 * loaded, and this is an ES module app, so main.ts calls it first and imports the rest of the app
 * afterwards. The OTEL_* variables configure the rest (exporter protocol, service name, sampler,
 * resource attributes); the SDK's own defaults are used for anything not set.
 */
export async function startTracing(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (!tracingConfigured(env)) return false;
  // ES modules are patched by import-in-the-middle's loader hook; limited to the modules an
  // instrumentation asks for, so that every other import loads untouched.
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  const [{ NodeSDK }, { PgInstrumentation }, { IORedisInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-ioredis'),
  ]);
  // Metrics are Prometheus' (GET /metrics) and logs go to stdout: the SDK exports traces only,
  // unless told otherwise.
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? 'webhook-inbox',
    // Only inside the inbox's own spans: the relay and the workers poll Postgres and Redis all the
    // time, and a root span per poll would drown the traces that matter.
    instrumentations: [
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  return true;
}

/** Exports the spans still buffered; called on shutdown, before the process exits. */
export async function stopTracing(): Promise<void> {
  await sdk?.shutdown().catch((error: Error) => console.error(`tracing: shutdown failed: ${error.message}`));
}
