// Realistic signed webhook requests for the load generator: ~1.2 KB envelopes shaped like a
// payments provider's subscription event, each with a unique id, signed the Standard Webhooks way
// (HMAC-SHA256 over "{webhook-id}.{timestamp}.{body}"), and a share of exact re-sends (provider
// retries) that the inbox must answer as duplicates.
import { createHmac, randomBytes } from 'node:crypto';

/** A fresh whsec_ secret for one bench run. */
export function newWebhookSecret() {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export const keyOf = (secret) => Buffer.from(secret.replace(/^whsec_/, ''), 'base64');

const ID_PLACEHOLDER = '__EVENT_ID__';
const RING_SIZE = 4096;
const RESEND_MIN_AGE = 1024;

/** The envelope around the id: built once, the id is spliced in per request (no JSON.stringify per request). */
function envelopeTemplate(type) {
  const envelope = {
    id: ID_PLACEHOLDER,
    type,
    created_at: '2026-11-30T09:41:27.512Z',
    api_version: '2026-10-01',
    livemode: true,
    data: {
      subscription: {
        id: 'sub_1QWmZk2eZvKYlo2C8TnR5pXa',
        status: 'active',
        plan: { id: 'plan_pro_monthly', name: 'Pro (monthly)', amount: 4900, currency: 'EUR', interval: 'month' },
        current_period_start: '2026-11-30T09:41:00Z',
        current_period_end: '2026-12-30T09:41:00Z',
        cancel_at_period_end: false,
        trial_end: null,
      },
      customer: {
        id: 'cus_R8dX2mWq7LzK4v',
        email: 'jane.doe+billing@example.com',
        name: 'Jane Doe',
        country: 'DE',
        tax_exempt: 'none',
        address: { line1: 'Friedrichstraße 123', city: 'Berlin', postal_code: '10117', country: 'DE' },
      },
      invoice: {
        id: 'in_1QWmZl2eZvKYlo2CQ0b1sVvS',
        number: 'ACME-2026-118842',
        amount_due: 4900,
        amount_paid: 4900,
        tax: 782,
        lines: [
          {
            id: 'il_1',
            description: 'Pro (monthly) × 1',
            amount: 4118,
            quantity: 1,
            period: { start: 1796031660, end: 1798623660 },
          },
          {
            id: 'il_2',
            description: 'VAT 19% (DE)',
            amount: 782,
            quantity: 1,
            period: { start: 1796031660, end: 1798623660 },
          },
        ],
      },
      payment: {
        id: 'pay_3QWmZm2eZvKYlo2C1Gq8Fh0U',
        method: 'card',
        brand: 'visa',
        last4: '4242',
        three_d_secure: true,
      },
      metadata: { account_ref: 'acct_000918273', campaign: 'black-friday-2026', source: 'checkout-v3' },
    },
  };
  const [before, after] = JSON.stringify(envelope).split(ID_PLACEHOLDER);
  return { before, after };
}

/**
 * Makes autocannon `setupRequest` functions. Every `duplicateEvery`-th request re-sends a recent
 * request byte for byte (same id, headers and signature), as a provider retry would.
 * `onSent(externalId, duplicate)` lets the caller remember what was sent on which connection.
 */
export class SignedEnvelopeFactory {
  constructor({ secret, runId, type = 'bench.noop', duplicateShare = 0.05, idPrefix = 'evt' }) {
    this.key = keyOf(secret);
    this.template = envelopeTemplate(type);
    this.idPrefix = `${idPrefix}_${runId}_`;
    this.duplicateEvery = duplicateShare > 0 ? Math.round(1 / duplicateShare) : 0;
    this.sent = 0;
    this.unique = 0;
    this.recent = new Array(RING_SIZE);
    this.clock = new SigningClock();
  }

  /** The next request (headers, body) and its envelope id. */
  next() {
    this.sent++;
    // A re-send picks a request sent at least RESEND_MIN_AGE requests earlier, so that its original
    // has been answered (a provider retries after a response or a timeout, not while it is in flight).
    if (this.duplicateEvery && this.sent % this.duplicateEvery === 0 && this.unique > RESEND_MIN_AGE) {
      const span = Math.min(this.unique - RESEND_MIN_AGE, RING_SIZE - RESEND_MIN_AGE);
      const n = this.unique - RESEND_MIN_AGE - ((this.sent * 7919) % span);
      return { ...this.recent[n % RING_SIZE], duplicate: true };
    }
    const n = ++this.unique;
    const externalId = `${this.idPrefix}${n}`;
    const body = this.template.before + externalId + this.template.after;
    const request = { externalId, body, headers: this.clock.signedHeaders(this.key, externalId, body) };
    this.recent[n % RING_SIZE] = request;
    return { ...request, duplicate: false };
  }
}

/** Standard Webhooks headers for one body; the timestamp string is built once per second. */
export class SigningClock {
  constructor() {
    this.second = 0;
    this.timestamp = '';
  }

  signedHeaders(key, externalId, body) {
    const webhookId = `msg_${externalId}`;
    const timestamp = this.nowSeconds();
    const signature = createHmac('sha256', key).update(`${webhookId}.${timestamp}.`).update(body).digest('base64');
    return {
      'content-type': 'application/json',
      'webhook-id': webhookId,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${signature}`,
      'user-agent': 'provider-webhooks/2.3 (bench)',
    };
  }

  nowSeconds() {
    const now = Math.floor(Date.now() / 1000);
    if (now !== this.second) {
      this.second = now;
      this.timestamp = String(now);
    }
    return this.timestamp;
  }
}

/** Size in bytes of one envelope body this factory sends. */
export function envelopeSize(factory) {
  return Buffer.byteLength(factory.template.before + `${factory.idPrefix}1` + factory.template.after);
}
