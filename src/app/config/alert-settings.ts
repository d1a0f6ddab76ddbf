import type { AlertOptions } from '../../ops/alerts/alert-options.js';
import { DEFAULT_SOURCE } from '../../shared/sources/webhook-source.js';
import type { AppConfig } from './app-config.js';

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

/** AlertsModule's options from ALERT_*; undefined when ALERT_WEBHOOK_URL is not set (alerts off). */
export function alertOptions(config: AppConfig): AlertOptions | undefined {
  if (!config.ALERT_WEBHOOK_URL) return undefined;
  return {
    url: config.ALERT_WEBHOOK_URL,
    secret: config.ALERT_WEBHOOK_SECRET,
    format: config.ALERT_FORMAT,
    checkIntervalMs: config.durationMs('ALERT_CHECK_INTERVAL')!,
    sources: [DEFAULT_SOURCE, ...config.webhookSources.map((source) => source.name)],
    thresholds: {
      handlerFailureRatio: config.ALERT_HANDLER_FAILURE_RATIO,
      handlerMinAttempts: config.ALERT_HANDLER_MIN_ATTEMPTS,
      handlerWindowSeconds: seconds(config.durationMs('ALERT_HANDLER_WINDOW'))!,
      backlogStaleSeconds: seconds(config.durationMs('ALERT_BACKLOG_STALE_AFTER'))!,
      signatureFailures: config.ALERT_SIGNATURE_FAILURES,
      signatureWindowSeconds: seconds(config.durationMs('ALERT_SIGNATURE_WINDOW'))!,
      sourceSilentSeconds: seconds(config.durationMs('ALERT_SOURCE_SILENT_AFTER')),
    },
  };
}
