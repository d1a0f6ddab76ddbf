import { sign as githubSign } from '@octokit/webhooks-methods';
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { WebhookSignatureError, type SignatureCheck } from '../signature/standard-webhooks.verifier.js';
import { buildVerifier, resolveWebhookSource, type VerifierKind } from './webhook-source.js';

/**
 * Each preset against code nobody here wrote: requests signed by the providers' own libraries
 * (`stripe`, `@octokit/webhooks-methods`, `standardwebhooks`); Shopify and Slack by the recipe
 * their documentation gives (base64 HMAC-SHA256 of the raw body for Shopify; `v0=` and the hex
 * HMAC-SHA256 of `v0:{timestamp}:{body}` for Slack), written here with node:crypto.
 */
const NOW = 1_796_000_000;
const body = Buffer.from(JSON.stringify({ id: 'evt_1', type: 'invoice.paid', data: { object: { id: 'in_1' } } }));
const tampered = Buffer.from(body.toString('utf8').replace('in_1', 'in_2'));
const stripe = new Stripe('sk_test_not_used');

interface Signer {
  /** Headers for `payload` signed with `secret` at unix time `at`. */
  sign(secret: string, payload: Buffer, at: number): Promise<IncomingHttpHeaders>;
  secrets: [string, string];
  /** The header whose absence is "missing". */
  header: string;
  timestamped: boolean;
}

const signers: Record<Exclude<VerifierKind, 'hmac' | 'basic' | 'none'>, Signer> = {
  stripe: {
    secrets: [`whsec_${randomBytes(24).toString('hex')}`, `whsec_${randomBytes(24).toString('hex')}`],
    header: 'stripe-signature',
    timestamped: true,
    sign: async (secret, payload, at) => ({
      'stripe-signature': stripe.webhooks.generateTestHeaderString({
        payload: payload.toString('utf8'),
        secret,
        timestamp: at,
      }),
    }),
  },
  github: {
    secrets: [randomBytes(20).toString('hex'), randomBytes(20).toString('hex')],
    header: 'x-hub-signature-256',
    timestamped: false,
    sign: async (secret, payload) => ({ 'x-hub-signature-256': await githubSign(secret, payload.toString('utf8')) }),
  },
  'standard-webhooks': {
    secrets: [`whsec_${randomBytes(24).toString('base64')}`, `whsec_${randomBytes(24).toString('base64')}`],
    header: 'webhook-signature',
    timestamped: true,
    sign: async (secret, payload, at) => {
      const id = 'msg_1';
      const signature = new Webhook(secret).sign(id, new Date(at * 1000), payload.toString('utf8'));
      return { 'webhook-id': id, 'webhook-timestamp': String(at), 'webhook-signature': signature };
    },
  },
  shopify: {
    secrets: [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')],
    header: 'x-shopify-hmac-sha256',
    timestamped: false,
    sign: async (secret, payload) => ({
      'x-shopify-hmac-sha256': createHmac('sha256', secret).update(payload).digest('base64'),
    }),
  },
  slack: {
    secrets: [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')],
    header: 'x-slack-signature',
    timestamped: true,
    sign: async (secret, payload, at) => ({
      'x-slack-request-timestamp': String(at),
      'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${at}:`).update(payload).digest('hex')}`,
    }),
  },
};

function checkOf(verify: () => void): SignatureCheck | 'ok' {
  try {
    verify();
    return 'ok';
  } catch (error) {
    if (error instanceof WebhookSignatureError) return error.check;
    throw error;
  }
}

describe.each(Object.entries(signers))('the %s preset', (kind, signer) => {
  const [current, next] = signer.secrets;
  const verifier = buildVerifier(
    resolveWebhookSource({ name: kind, verifier: kind as VerifierKind, secrets: [current] }),
  )!;
  const rotating = buildVerifier(
    resolveWebhookSource({ name: kind, verifier: kind as VerifierKind, secrets: [current, next] }),
  )!;
  const verify = (headers: IncomingHttpHeaders, payload = body, with_ = verifier) =>
    checkOf(() => with_.verify(payload, headers, NOW));

  it('accepts a request signed with the secret', async () => {
    expect(verify(await signer.sign(current, body, NOW))).toBe('ok');
  });

  it('refuses one signed with another secret', async () => {
    expect(verify(await signer.sign(next, body, NOW))).toBe('signature_mismatch');
  });

  it('accepts either secret during a rotation', async () => {
    expect(verify(await signer.sign(next, body, NOW), body, rotating)).toBe('ok');
    expect(verify(await signer.sign(current, body, NOW), body, rotating)).toBe('ok');
  });

  it('refuses a tampered body', async () => {
    expect(verify(await signer.sign(current, body, NOW), tampered)).toBe('signature_mismatch');
  });

  it('refuses a request without its signature header', async () => {
    const headers = await signer.sign(current, body, NOW);
    delete headers[signer.header];
    expect(verify(headers)).toBe('missing_headers');
  });

  if (signer.timestamped) {
    it('refuses a stale or a future timestamp, and accepts one within 5 minutes', async () => {
      expect(verify(await signer.sign(current, body, NOW - 301))).toBe('timestamp_too_old');
      expect(verify(await signer.sign(current, body, NOW + 301))).toBe('timestamp_too_new');
      expect(verify(await signer.sign(current, body, NOW - 299))).toBe('ok');
    });
  }
});

describe('hmac: a scheme described by its settings', () => {
  const secret = 'hmac-secret';
  const source = resolveWebhookSource({
    name: 'acme',
    verifier: 'hmac',
    secrets: [secret],
    hmac: {
      header: 'X-Acme-Signature',
      algorithm: 'sha512',
      encoding: 'base64url',
      prefix: 'sig=',
      signed: '{timestamp}.{body}',
      timestampHeader: 'X-Acme-Time',
    },
  });
  const verifier = buildVerifier(source)!;
  const sign = (at: number, payload = body, key = secret) => ({
    'x-acme-time': String(at),
    'x-acme-signature': `sig=${createHmac('sha512', key).update(`${at}.`).update(payload).digest('base64url')}`,
  });

  it('verifies what the settings describe, and refuses the rest', () => {
    expect(checkOf(() => verifier.verify(body, sign(NOW), NOW))).toBe('ok');
    expect(checkOf(() => verifier.verify(tampered, sign(NOW), NOW))).toBe('signature_mismatch');
    expect(checkOf(() => verifier.verify(body, sign(NOW, body, 'other'), NOW))).toBe('signature_mismatch');
    expect(checkOf(() => verifier.verify(body, sign(NOW - 3600), NOW))).toBe('timestamp_too_old');
    expect(checkOf(() => verifier.verify(body, { ...sign(NOW), 'x-acme-signature': 'nope' }, NOW))).toBe(
      'signature_malformed',
    );
    expect(checkOf(() => verifier.verify(body, { 'x-acme-signature': sign(NOW)['x-acme-signature'] }, NOW))).toBe(
      'missing_headers',
    );
  });

  it('refuses settings that cannot work, saying why', () => {
    const attempt = (hmac: object) => () =>
      resolveWebhookSource({ name: 'x', verifier: 'hmac', secrets: ['s'], hmac: hmac });
    expect(attempt({})).toThrow('an hmac source needs its signature header');
    expect(attempt({ header: 'x-sig', algorithm: 'md5' })).toThrow(/algorithm must be one of sha256, sha512, sha1/);
    expect(attempt({ header: 'x-sig', signed: '{timestamp}.{body}' })).toThrow(/needs a timestamp header/);
    expect(attempt({ header: 'x-sig', signed: '{body}.{body}' })).toThrow(/exactly once/);
    expect(attempt({ header: 'x-sig', signed: '{nonce}.{body}' })).toThrow(/only use \{body\} and \{timestamp\}/);
  });
});

describe('basic and none', () => {
  it('basic accepts a configured user:password pair and nothing else', () => {
    const verifier = buildVerifier(
      resolveWebhookSource({ name: 'b', verifier: 'basic', secrets: ['hook:pa55', 'old:pw'] }),
    )!;
    const basic = (pair: string) => ({ authorization: `Basic ${Buffer.from(pair).toString('base64')}` });
    expect(checkOf(() => verifier.verify(body, basic('hook:pa55')))).toBe('ok');
    expect(checkOf(() => verifier.verify(body, basic('old:pw')))).toBe('ok');
    expect(checkOf(() => verifier.verify(body, basic('hook:wrong')))).toBe('signature_mismatch');
    expect(checkOf(() => verifier.verify(body, { authorization: 'Bearer x' }))).toBe('signature_malformed');
    expect(checkOf(() => verifier.verify(body, {}))).toBe('missing_headers');
    expect(() => resolveWebhookSource({ name: 'b', verifier: 'basic', secrets: ['no-colon'] })).toThrow(
      /user:password/,
    );
  });

  it('none verifies nothing (the configuration allows it on loopback only)', () => {
    expect(buildVerifier(resolveWebhookSource({ name: 'n', verifier: 'none' }))).toBeUndefined();
  });
});
