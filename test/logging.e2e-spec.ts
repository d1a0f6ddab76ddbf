import { startService } from './support/infra/service-process.js';
import { subscriptionCreated } from './support/provider-events.js';
import { uniqueId, waitFor } from './support/test-app.js';

/** Logs of the built service as operators read them: one JSON object per line. */
describe('structured logs', () => {
  it('carries event id, type, handler and delivery id on the lines about an event', async () => {
    // NODE_ENV=test (startService's default) logs JSON lines; development pretty-prints.
    const { service, url: address } = await startService({ LOG_LEVEL: 'info' });
    try {
      // Invalid data for the example handler: its delivery dies at once, and says so in the log.
      const event = subscriptionCreated(uniqueId('sub'), { email: 'not-an-email' });
      const response = await fetch(`${address}/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
      });
      const { id } = (await response.json()) as { id: string };

      const line = await waitFor(async () =>
        service
          .output()
          .split('\n')
          .filter((text) => text.startsWith('{'))
          .map((text) => JSON.parse(text) as Record<string, unknown>)
          .find((entry) => entry.eventId === id),
      );
      expect(line).toMatchObject({
        level: 40,
        eventId: id,
        type: 'subscription_user_create',
        handler: 'SubscriptionCreatedHandler',
        deliveryId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        msg: expect.stringContaining('email must be an email'),
      });
    } finally {
      await service.terminate();
    }
  });
});
