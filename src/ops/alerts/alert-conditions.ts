/** The notifications an operator can receive, named as the `type` of each message. */
export const ALERT_TYPES = [
  'delivery.dead',
  'handler.failing',
  'handler.recovered',
  'backlog.stale',
  'backlog.recovered',
  'signature.failures',
  'source.silent',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export interface AlertThresholds {
  /** A handler is failing when at least this share (0–1] of its attempts in the window failed… */
  handlerFailureRatio: number;
  /** …and it made at least this many attempts in the window (one failure in one attempt is not a trend). */
  handlerMinAttempts: number;
  handlerWindowSeconds: number;
  /** The backlog is stale when its oldest unfinished event is at least this old. */
  backlogStaleSeconds: number;
  /** Refusals for bad signatures, over every replica, within the window. */
  signatureFailures: number;
  signatureWindowSeconds: number;
  /** A source is silent after this long without an event; undefined: never. */
  sourceSilentSeconds?: number;
}

/** What one evaluation read from the shared state (every replica's share summed). */
export interface AlertReadings {
  handlers: { handler: string; attempts: number; failures: number }[];
  dead: { handler: string; count: number }[];
  backlogAgeSeconds: number;
  signatureFailures: number;
  sources: { source: string; silentSeconds: number }[];
}

/** A condition whose state should change; `notify` names the message to send, if the change has one. */
export interface Transition {
  key: string;
  firing: boolean;
  notify?: AlertType;
  details: Record<string, unknown>;
}

export const deadKey = (handler: string) => `delivery.dead:${handler}`;
const DEAD_PREFIX = deadKey('');

/**
 * The changes the readings call for, given which conditions are firing now. A condition that is
 * already in the state its reading says gives nothing, so a condition alerts once until it
 * recovers. `delivery.dead` fires from the event itself (see AlertsService); here it only re-arms,
 * silently, once the handler has no dead delivery left (replayed, skipped or purged).
 */
export function transitions(
  readings: AlertReadings,
  thresholds: AlertThresholds,
  firing: ReadonlySet<string>,
): Transition[] {
  const changes: Transition[] = [];
  /** `active` undefined: the reading says nothing either way, the state holds. */
  const want = (
    key: string,
    active: boolean | undefined,
    notify: { fire?: AlertType; recover?: AlertType },
    details: Record<string, unknown>,
  ) => {
    if (active === undefined || active === firing.has(key)) return;
    changes.push({ key, firing: active, notify: active ? notify.fire : notify.recover, details });
  };

  for (const { handler, attempts, failures } of readings.handlers) {
    if (attempts === 0) continue;
    const ratio = failures / attempts;
    // Below the minimum the failures are not a trend yet, but a good ratio still means recovered.
    const active =
      ratio >= thresholds.handlerFailureRatio ? attempts >= thresholds.handlerMinAttempts || undefined : false;
    want(
      `handler.failing:${handler}`,
      active,
      { fire: 'handler.failing', recover: 'handler.recovered' },
      {
        handler,
        attempts,
        failures,
        failureRatio: Math.round(ratio * 1000) / 1000,
        threshold: thresholds.handlerFailureRatio,
        windowSeconds: thresholds.handlerWindowSeconds,
      },
    );
  }

  const stillDead = new Set(readings.dead.filter((row) => row.count > 0).map((row) => row.handler));
  for (const key of firing) {
    if (key.startsWith(DEAD_PREFIX) && !stillDead.has(key.slice(DEAD_PREFIX.length))) {
      changes.push({ key, firing: false, details: { handler: key.slice(DEAD_PREFIX.length) } });
    }
  }

  want(
    'backlog.stale',
    readings.backlogAgeSeconds >= thresholds.backlogStaleSeconds,
    { fire: 'backlog.stale', recover: 'backlog.recovered' },
    {
      oldestUnfinishedAgeSeconds: Math.round(readings.backlogAgeSeconds),
      thresholdSeconds: thresholds.backlogStaleSeconds,
    },
  );

  want(
    'signature.failures',
    readings.signatureFailures >= thresholds.signatureFailures,
    { fire: 'signature.failures' },
    {
      failures: readings.signatureFailures,
      threshold: thresholds.signatureFailures,
      windowSeconds: thresholds.signatureWindowSeconds,
    },
  );

  const silentAfter = thresholds.sourceSilentSeconds;
  if (silentAfter !== undefined) {
    for (const { source, silentSeconds } of readings.sources) {
      want(
        `source.silent:${source}`,
        silentSeconds >= silentAfter,
        { fire: 'source.silent' },
        { source, silentSeconds: Math.round(silentSeconds), thresholdSeconds: silentAfter },
      );
    }
  }
  return changes;
}
