import type { AlertThresholds } from './alert-conditions.js';

export const ALERT_OPTIONS = Symbol('ALERT_OPTIONS');

export type AlertFormat = 'standard' | 'slack';

/** How alerts are sent and when conditions hold; built from ALERT_* by the app. */
export interface AlertOptions {
  url: string;
  /** `whsec_…`: signs Standard Webhooks messages; Slack messages are not signed (the URL is the secret). */
  secret?: string;
  format: AlertFormat;
  /** How often each replica reads the shared state and announces what changed. */
  checkIntervalMs: number;
  thresholds: AlertThresholds;
  /** Sources watched for silence: `default` and WEBHOOK_SOURCES. */
  sources: string[];
  /** Sending: tries per message, the first retry's delay (doubling), and each request's time limit. */
  delivery?: { attempts: number; firstRetryMs: number; timeoutMs: number };
}
