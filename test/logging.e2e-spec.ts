import { startService } from './support/infra/service-process.js';
import { subscriptionCreated } from './support/provider-events.js';
import { uniqueId, waitFor } from './support/test-app.js';

const ADMIN_KEY = 'logging-test-key-0123456789abcdefghij';

/** Logs of the built service as operators read them: one JSON object per line. */
describe('structured logs', () => {
  it('carries event id, type, handler and delivery id on the lines about an event, and one line per admin change', async () => {
    // NODE_ENV=test (startService's default) logs JSON lines; development pretty-prints.
    const { service, url: address } = await startService({ LOG_LEVEL: 'info', ADMIN_API_KEYS: `ops:${ADMIN_KEY}` });
    const jsonLines = () =>
      service
        .output()
        .split('\n')
        .filter((text) => text.startsWith('{'))
        .map((text) => JSON.parse(text) as Record<string, unknown>);
    try {
      // Invalid data for the example handler: its delivery dies at once, and says so in the log.
      const event = subscriptionCreated(uniqueId('sub'), { email: 'not-an-email' });
      const response = await fetch(`${address}/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
      });
      const { id } = (await response.json()) as { id: string };

      const line = await waitFor(async () => jsonLines().find((entry) => entry.eventId === id));
      expect(line).toMatchObject({
        level: 40,
        eventId: id,
        type: 'subscription_user_create',
        handler: 'SubscriptionCreatedHandler',
        deliveryId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        msg: expect.stringContaining('email must be an email'),
      });

      // An admin change: one audit line, naming the key by its name only.
      const purge = await fetch(`${address}/admin/events?before=2026-01-01T00:00:00Z&dryRun=true`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      expect(purge.status).toBe(200);
      const audit = await waitFor(async () => jsonLines().find((entry) => entry.context === 'AdminAudit'));
      expect(audit).toMatchObject({
        level: 30,
        audit: { actor: 'ops', via: 'bearer', action: 'events.purge', method: 'DELETE', status: 200, rows: 0 },
        msg: 'admin events.purge by ops: 200, 0 row(s)',
      });
      expect(service.output()).not.toContain(ADMIN_KEY);
    } finally {
      await service.terminate();
    }
  });
});
