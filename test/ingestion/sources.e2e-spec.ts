import { Injectable, Module } from '@nestjs/common';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { runSendWebhookCli } from '../../src/admin/test-webhook/send-webhook-cli.js';
import {
  defineWebhookEvents,
  OnWebhook,
  WebhookCatalogModule,
  type CatalogEntries,
  type WebhookEvent,
  type WebhookHandler,
} from '../../src/processing/api/index.js';
import { ADMIN_ENV, adminClient } from '../support/admin-client.js';
import { expectErrorShape, request, type RawResponse } from '../support/raw-http.js';
import { newSecret, signedHeaders } from '../support/signing.js';
import { startTestApp, untilEventStatus, type TestApp } from '../support/test-app.js';

/**
 * Several senders, one inbox, on real Postgres and Redis: requests signed by the providers' own
 * libraries (`stripe`, `@octokit/webhooks-methods`) and by Shopify's and Slack's documented recipes
 * reach /webhooks/<source>, are stored under their source and run that source's handlers; bad
 * signatures store nothing; refused content is quarantined under its source.
 */
const STRIPE_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const GITHUB_SECRET = randomBytes(20).toString('hex');
const SHOPIFY_SECRET = randomBytes(16).toString('hex');
const SLACK_SECRET = randomBytes(16).toString('hex');
const DEFAULT_SECRET = newSecret();
const JSON_TYPE = { 'content-type': 'application/json' };
const stripe = new Stripe('sk_test_not_used');

const seen: WebhookEvent[] = [];

@Injectable()
@OnWebhook('invoice.paid', { source: 'stripe' })
class StripeInvoicePaid implements WebhookHandler {
  handle(event: WebhookEvent): void {
    seen.push(event);
  }
}

@Injectable()
@OnWebhook('issues.opened', { source: 'github' })
class GithubIssueOpened implements WebhookHandler {
  handle(event: WebhookEvent): void {
    seen.push(event);
  }
}

@Injectable()
@OnWebhook('orders/create', { source: 'shopify' })
class ShopifyOrderCreated implements WebhookHandler {
  handle(event: WebhookEvent): void {
    seen.push(event);
  }
}

/** The default source's handler of the same type as Stripe's: it must never see Stripe's events. */
@Injectable()
@OnWebhook('invoice.paid')
class DefaultInvoicePaid implements WebhookHandler {
  handle(event: WebhookEvent): void {
    seen.push(event);
  }
}

// Stripe's events have a catalog of their own; GitHub's and Shopify's stay untyped (no catalog).
const StripeEvents = defineWebhookEvents({ 'invoice.paid': null }, { source: 'stripe' });
const DefaultSourceEvents = defineWebhookEvents({ 'invoice.paid': null });
declare module '../../src/processing/api/index.js' {
  interface WebhookEventTypes extends CatalogEntries<typeof StripeEvents>, CatalogEntries<typeof DefaultSourceEvents> {}
}

@Module({
  imports: [WebhookCatalogModule.forFeature(StripeEvents, DefaultSourceEvents)],
  providers: [StripeInvoicePaid, GithubIssueOpened, ShopifyOrderCreated, DefaultInvoicePaid],
})
class SourceHandlersModule {}

describe('sources: many providers, one inbox (real Postgres + Redis)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      extraImports: [SourceHandlersModule],
      env: {
        WEBHOOK_SECRET: DEFAULT_SECRET,
        WEBHOOK_SOURCES: 'stripe,github,shopify,slack',
        SOURCE_STRIPE_VERIFIER: 'stripe',
        SOURCE_STRIPE_SECRET: STRIPE_SECRET,
        SOURCE_GITHUB_VERIFIER: 'github',
        SOURCE_GITHUB_SECRET: GITHUB_SECRET,
        SOURCE_SHOPIFY_VERIFIER: 'shopify',
        SOURCE_SHOPIFY_SECRET: SHOPIFY_SECRET,
        SOURCE_SLACK_VERIFIER: 'slack',
        SOURCE_SLACK_SECRET: SLACK_SECRET,
        ...ADMIN_ENV,
      },
    });
  });
  afterAll(async () => t?.close());

  const post = (path: string, body: string, headers: Record<string, string>) =>
    request(t.url, { path, headers: { ...JSON_TYPE, ...headers }, body });
  const stored = async (id: string) =>
    (await t.db.query('SELECT source, external_id, type, payload FROM webhook_events WHERE id = $1', [id])).rows[0];
  const countOf = async (source: string) =>
    (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_events WHERE source = $1', [source]))
      .rows[0].n;
  const stripeEvent = (id = `evt_${randomUUID().slice(0, 8)}`, type = 'invoice.paid') =>
    JSON.stringify({ id, object: 'event', type, data: { object: { id: 'in_1', amount_paid: 900 } } });
  const stripeHeaders = (payload: string, secret = STRIPE_SECRET) => ({
    'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret }),
  });
  const waitForRun = async (response: RawResponse) => {
    expect(response.status).toBe(200);
    await untilEventStatus(t.db, response.json.id, 'processed');
    return seen.find((event) => event.id === response.json.id)!;
  };

  it('takes a Stripe event signed by the stripe package, under its source, for the Stripe handler only', async () => {
    const payload = stripeEvent();
    const response = await post('/webhooks/stripe', payload, stripeHeaders(payload));
    const event = await waitForRun(response);
    expect(await stored(response.json.id)).toMatchObject({
      source: 'stripe',
      external_id: JSON.parse(payload).id,
      type: 'invoice.paid',
    });
    expect(event).toMatchObject({ source: 'stripe', type: 'invoice.paid', data: { object: { id: 'in_1' } } });
    expect(seen.filter((run) => run.id === response.json.id)).toHaveLength(1); // not DefaultInvoicePaid
    // The same again is a duplicate within its source.
    const again = await post('/webhooks/stripe', payload, stripeHeaders(payload));
    expect(again.json).toMatchObject({ duplicate: true, id: response.json.id });
  });

  it('takes a GitHub event signed by @octokit/webhooks-methods: type from the header and the action', async () => {
    const delivery = randomUUID();
    const payload = JSON.stringify({ action: 'opened', issue: { number: 7, title: 'Broken' } });
    const response = await post('/webhooks/github', payload, {
      'x-github-event': 'issues',
      'x-github-delivery': delivery,
      'x-hub-signature-256': await githubSign(GITHUB_SECRET, payload),
    });
    const event = await waitForRun(response);
    expect(await stored(response.json.id)).toMatchObject({
      source: 'github',
      external_id: delivery,
      type: 'issues.opened',
    });
    expect(event.data).toEqual({ action: 'opened', issue: { number: 7, title: 'Broken' } });
  });

  it("takes a Shopify topic as it is named, and answers Slack's URL verification without storing it", async () => {
    const payload = JSON.stringify({ id: 820982911946154500, email: 'jon@example.com' });
    const shopify = await post('/webhooks/shopify', payload, {
      'x-shopify-topic': 'orders/create',
      'x-shopify-webhook-id': randomUUID(),
      'x-shopify-hmac-sha256': createHmac('sha256', SHOPIFY_SECRET).update(payload).digest('base64'),
    });
    const event = await waitForRun(shopify);
    expect(event).toMatchObject({ source: 'shopify', type: 'orders/create', data: { email: 'jon@example.com' } });

    const before = await countOf('slack');
    const challenge = JSON.stringify({ type: 'url_verification', challenge: 'c-3x7', token: 'legacy' });
    const at = String(Math.floor(Date.now() / 1000));
    const slack = await post('/webhooks/slack', challenge, {
      'x-slack-request-timestamp': at,
      'x-slack-signature': `v0=${createHmac('sha256', SLACK_SECRET).update(`v0:${at}:${challenge}`).digest('hex')}`,
    });
    expect({ status: slack.status, body: slack.json }).toEqual({ status: 200, body: { challenge: 'c-3x7' } });
    expect(await countOf('slack')).toBe(before);
  });

  it('refuses a wrong signature for each source with 401, storing nothing', async () => {
    const before = await Promise.all(['stripe', 'github', 'shopify'].map(countOf));
    const payload = stripeEvent();
    const refused = [
      await post('/webhooks/stripe', payload, stripeHeaders(payload, `whsec_${randomBytes(24).toString('hex')}`)),
      await post('/webhooks/github', payload, {
        'x-github-event': 'issues',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': await githubSign('not-the-secret', payload),
      }),
      await post('/webhooks/shopify', payload, { 'x-shopify-topic': 'orders/create' }),
      // Signed for the default source: not valid for another.
      await post('/webhooks/stripe', payload, signedHeaders(DEFAULT_SECRET, payload)),
    ];
    expect(refused.map((response) => [response.status, response.json.check])).toEqual([
      [401, 'signature_mismatch'],
      [401, 'signature_mismatch'],
      [401, 'missing_headers'],
      [401, 'missing_headers'],
    ]);
    for (const response of refused) expectErrorShape(response, 401);
    expect(await Promise.all(['stripe', 'github', 'shopify'].map(countOf))).toEqual(before);
  });

  it('answers 404 for a source that is not configured, before looking at anything else', async () => {
    const unknown = await request(t.url, {
      path: '/webhooks/paypal',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(unknown.status).toBe(404);
    expectErrorShape(unknown, 404);
    expect(unknown.json.message).toMatch(
      /no webhook source named "paypal" \(configured: stripe, github, shopify, slack\)/,
    );
  });

  it('keeps identities per source: the same id at two sources is two events', async () => {
    const id = `evt_${randomUUID().slice(0, 8)}`;
    const payload = stripeEvent(id, 'invoice.paid');
    const atStripe = await post('/webhooks/stripe', payload, stripeHeaders(payload));
    const atDefault = await post('/webhooks', payload, signedHeaders(DEFAULT_SECRET, payload));
    expect([atStripe.json.duplicate, atDefault.json.duplicate]).toEqual([false, false]);
    expect(atStripe.json.id).not.toBe(atDefault.json.id);
    await untilEventStatus(t.db, atDefault.json.id, 'processed');
    expect(seen.find((event) => event.id === atDefault.json.id)).toMatchObject({
      source: 'default',
      data: { object: { id: 'in_1' } },
    });
  });

  it('refuses a verified body without what its source reads, with 400, and quarantines it under that source', async () => {
    const cases: [string, string, RegExp][] = [
      ['no type', JSON.stringify({ id: 'evt_x', data: { object: {} } }), /type: body.type is missing/],
      [
        'data not an object',
        JSON.stringify({ id: 'evt_y', type: 'invoice.paid', data: [] }),
        /data: body.data must be a JSON object/,
      ],
      ['not JSON', '{"id":', /not valid JSON/],
      ['too deep', `${'['.repeat(100)}${']'.repeat(100)}`, /nest/],
    ];
    for (const [what, payload, says] of cases) {
      const before = await countOf('stripe');
      const response = await post('/webhooks/stripe', payload, stripeHeaders(payload));
      expect({ what, status: response.status }).toEqual({ what, status: 400 });
      expect({ what, message: response.json.message.join(' ') }).toEqual({
        what,
        message: expect.stringMatching(says),
      });
      expect(await countOf('stripe')).toBe(before);
      const { rows } = await t.db.query(
        `SELECT source, code, convert_from(body, 'UTF8') AS body FROM webhook_rejections ORDER BY received_at DESC LIMIT 1`,
      );
      expect({ what, row: rows[0] }).toEqual({
        what,
        row: expect.objectContaining({ source: 'stripe', body: payload }),
      });
    }
  });

  it('lists every source for operators: scheme, where it reads, counts and handlers, never a secret', async () => {
    const { status, body } = await adminClient(t).get('/admin/sources');
    expect(status).toBe(200);
    expect(body.map((source: { name: string }) => source.name)).toEqual([
      'default',
      'stripe',
      'github',
      'shopify',
      'slack',
    ]);
    const byName = Object.fromEntries(body.map((source: { name: string }) => [source.name, source]));
    expect(byName.default).toMatchObject({ path: '/webhooks', verifier: 'standard-webhooks', secrets: 1 });
    expect(byName.stripe).toMatchObject({
      path: '/webhooks/stripe',
      verifier: 'stripe',
      secrets: 1,
      signatureHeader: 'stripe-signature',
      toleranceSeconds: 300,
      typeFrom: ['body:type'],
      idFrom: ['body:id'],
      dataFrom: 'body.data',
      handlers: ['StripeInvoicePaid'],
    });
    expect(byName.stripe.events.processed).toBeGreaterThanOrEqual(2);
    expect(byName.github).toMatchObject({
      signatureHeader: 'x-hub-signature-256',
      toleranceSeconds: null,
      typeFrom: ['header:x-github-event', 'body:action?'],
      idFrom: ['header:x-github-delivery'],
      dataFrom: 'body',
    });
    const stats = await adminClient(t).get('/admin/stats');
    const lastHour = stats.body.lastHour.bySource as { source: string; byStatus: Record<string, number> }[];
    expect(lastHour.find((source) => source.source === 'github')?.byStatus.processed).toBeGreaterThanOrEqual(1);
    const text = JSON.stringify(body);
    for (const secret of [STRIPE_SECRET, GITHUB_SECRET, SHOPIFY_SECRET, SLACK_SECRET, DEFAULT_SECRET]) {
      expect(text).not.toContain(secret);
    }
  });

  it('sends a test webhook as any source would, from the admin API and from npm run webhook:send', async () => {
    const admin = adminClient(t);
    for (const [source, type] of [
      ['github', 'issues.opened'],
      ['stripe', 'invoice.paid'],
      ['shopify', 'orders/create'],
    ] as const) {
      const { status, body } = await admin.post('/admin/test-webhook', { source, type, data: { from: 'test' } });
      expect({ source, status, accepted: body.accepted, url: body.url }).toEqual({
        source,
        status: 200,
        accepted: true,
        url: `${t.url}/webhooks/${source}`,
      });
      await untilEventStatus(t.db, body.eventId, 'processed');
      expect(await stored(body.eventId)).toMatchObject({ source, type, external_id: body.externalId });
      expect(seen.find((event) => event.id === body.eventId)?.data).toMatchObject({ from: 'test' });
    }
    expect((await admin.post('/admin/test-webhook', { source: 'paypal' })).status).toBe(400);

    const out: string[] = [];
    const code = await runSendWebhookCli(
      ['--source', 'stripe', '--type', 'invoice.paid', '--data', '{"object":{"id":"in_cli"}}', '--url', t.url],
      { WEBHOOK_SOURCES: 'stripe', SOURCE_STRIPE_VERIFIER: 'stripe', SOURCE_STRIPE_SECRET: STRIPE_SECRET },
      { out: (line) => out.push(line), err: (line) => out.push(line) },
    );
    expect({ code, out: out.join('\n') }).toEqual({
      code: 0,
      out: expect.stringContaining(`POST ${t.url}/webhooks/stripe (signed`),
    });
  });
});
