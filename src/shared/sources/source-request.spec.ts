import { readSourceEvent, eventData } from './source-event.js';
import { sourceRequest } from './source-request.js';
import { buildVerifier, resolveWebhookSource, type WebhookSourceSettings } from './webhook-source.js';

/** What the test sender makes for a source, its verifier accepts and its reader reads back. */
const settings: WebhookSourceSettings[] = [
  { name: 'sw', verifier: 'standard-webhooks', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] },
  { name: 'stripe', verifier: 'stripe', secrets: ['whsec_stripe_secret'] },
  { name: 'github', verifier: 'github', secrets: ['gh-secret'] },
  { name: 'shopify', verifier: 'shopify', secrets: ['shop-secret'] },
  { name: 'slack', verifier: 'slack', secrets: ['slack-secret'] },
  { name: 'basic', verifier: 'basic', secrets: ['hook:pa55'] },
  { name: 'none', verifier: 'none' },
  {
    name: 'acme',
    verifier: 'hmac',
    secrets: ['acme-secret'],
    hmac: { header: 'x-acme-sig', encoding: 'base64url', signed: '{timestamp}:{body}', timestampHeader: 'x-acme-ts' },
    type: 'header:x-acme-topic',
    id: 'body:meta.delivery',
    data: 'payload',
  },
];

describe.each(settings.map((setting) => [setting.name, setting] as const))(
  'a test request for %s',
  (_name, setting) => {
    it('is accepted by its verifier and read back as sent', () => {
      const source = resolveWebhookSource(setting);
      const now = 1_796_000_000;
      const event = { id: 'evt_test_1', type: 'thing.happened', data: { n: 1, nested: { ok: true } } };
      const { body, headers } = sourceRequest(source, event, now);
      expect(() => buildVerifier(source)?.verify(body, headers, now)).not.toThrow();
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      expect(readSourceEvent(source, parsed, headers)).toEqual({ ok: true, type: event.type, externalId: event.id });
      expect(eventData(source, parsed as Record<string, unknown>)).toMatchObject(event.data);
    });
  },
);
