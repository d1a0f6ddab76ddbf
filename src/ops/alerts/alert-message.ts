import { hostname } from 'node:os';
import type { AlertType } from './alert-conditions.js';

/** One notification: what happened (`type`), to what (`key`), and the facts an operator needs. */
export interface Alert {
  type: AlertType;
  key: string;
  details: Record<string, unknown>;
  at: Date;
}

const HOST = hostname();

const text = (value: unknown) => (value === undefined || value === null ? '—' : String(value));

/** One line an operator reads first, in a chat or a pager. */
export function summaryOf({ type, details: d }: Alert): string {
  switch (type) {
    case 'delivery.dead':
      return (
        `handler ${text(d.handler)} gave up on event ${text(d.eventId)} (${text(d.eventType)} from ${text(d.source)}) ` +
        `after ${text(d.attempts)} attempt(s): ${text(d.lastError)}`
      );
    case 'handler.failing':
      return (
        `handler ${text(d.handler)}: ${text(d.failures)} of ${text(d.attempts)} attempts failed in the last ` +
        `${text(d.windowSeconds)} s (threshold ${text(d.threshold)})`
      );
    case 'handler.recovered':
      return `handler ${text(d.handler)} recovered: ${text(d.failures)} of ${text(d.attempts)} attempts failed in the last ${text(d.windowSeconds)} s`;
    case 'backlog.stale':
      return `the oldest unfinished event is ${text(d.oldestUnfinishedAgeSeconds)} s old (threshold ${text(d.thresholdSeconds)} s)`;
    case 'backlog.recovered':
      return `the backlog is moving again: oldest unfinished event ${text(d.oldestUnfinishedAgeSeconds)} s old`;
    case 'signature.failures':
      return (
        `${text(d.failures)} webhooks refused for their signature in the last ${text(d.windowSeconds)} s ` +
        `(threshold ${text(d.threshold)}): a wrong secret, or someone probing`
      );
    case 'source.silent':
      return `no event from source ${text(d.source)} for ${text(d.silentSeconds)} s (threshold ${text(d.thresholdSeconds)} s)`;
  }
}

/** Standard Webhooks' recommended shape: `{type, timestamp, data}`. */
export function standardBody(alert: Alert): string {
  return JSON.stringify({
    type: alert.type,
    timestamp: alert.at.toISOString(),
    data: { conditionKey: alert.key, summary: summaryOf(alert), host: HOST, ...alert.details },
  });
}

const RECOVERY: ReadonlySet<AlertType> = new Set(['handler.recovered', 'backlog.recovered']);

/** A Slack incoming-webhook message (also what Mattermost and Rocket.Chat accept). */
export function slackBody(alert: Alert): string {
  const icon = RECOVERY.has(alert.type) ? ':white_check_mark:' : ':rotating_light:';
  const facts = Object.entries(alert.details)
    .map(([name, value]) => `${name}: ${text(value)}`)
    .join(' · ');
  return JSON.stringify({
    text: `${icon} *webhook-inbox ${alert.type}*: ${summaryOf(alert)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${icon} *${alert.type}*\n${summaryOf(alert)}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${facts} · host: ${HOST}` }] },
    ],
  });
}
