import { spawnService, waitForOutput } from './support/spawn-service.js';
import { subscriptionCreated } from './support/provider-events.js';
import { uniqueId, waitFor } from './support/test-app.js';

/** Logs of the built service as operators read them: one JSON object per line. */
describe('structured logs', () => {
  it('carries event id, type, handler and delivery id on the lines about an event', async () => {
    const service = spawnService({
      NODE_ENV: 'test', // JSON lines (development pretty-prints)
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATABASE_URL: process.env.TEST_DATABASE_URL!,
      REDIS_URL: process.env.TEST_REDIS_URL!,
      QUEUE_PREFIX: `${process.env.TEST_QUEUE_PREFIX}-logging`,
    });
    try {
      const [, address] = await waitForOutput(service, /listening on (http:\/\/\S+)/);
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
      service.child.kill('SIGTERM');
      await service.exited;
    }
  });
});
