import { configProblems, loadConfig } from './app-config.js';

describe('loadConfig: webhook sources', () => {
  it('resolves each listed source from its SOURCE_<NAME>_* variables, with its preset', () => {
    const config = loadConfig({
      WEBHOOK_SOURCES: 'stripe, my-shop',
      SOURCE_STRIPE_VERIFIER: 'stripe',
      SOURCE_STRIPE_SECRET: 'whsec_one whsec_two',
      SOURCE_MY_SHOP_VERIFIER: 'hmac',
      SOURCE_MY_SHOP_SECRET: 'shop-secret',
      SOURCE_MY_SHOP_HMAC_HEADER: 'X-Shop-Signature',
      SOURCE_MY_SHOP_HMAC_ENCODING: 'base64',
      SOURCE_MY_SHOP_TYPE_FROM: 'header:X-Shop-Topic',
      SOURCE_MY_SHOP_ID_FROM: 'body:order.id',
    });
    expect(config.webhookSources).toEqual([
      expect.objectContaining({
        name: 'stripe',
        verifier: 'stripe',
        secrets: ['whsec_one', 'whsec_two'],
        data: 'data',
      }),
      expect.objectContaining({
        name: 'my-shop',
        verifier: 'hmac',
        hmac: expect.objectContaining({
          header: 'x-shop-signature',
          algorithm: 'sha256',
          encoding: 'base64',
          signed: '{body}',
        }),
        type: [{ from: 'header', path: 'x-shop-topic', optional: false }],
        id: [{ from: 'body', path: 'order.id', optional: false }],
        data: 'body',
      }),
    ]);
    // Never enumerable: nothing that prints the configuration prints a source's secret.
    expect(JSON.stringify(config)).not.toContain('whsec_one');
    expect(loadConfig({}).webhookSources).toEqual([]);
  });

  it('stops the start naming the variable of each problem, never quoting a secret', () => {
    const problems = configProblems({
      HOST: '0.0.0.0',
      WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      WEBHOOK_SOURCES: 'stripe github acme open Bad_Name default stripe legacy',
      SOURCE_STRIPE_VERIFIER: 'stripe',
      SOURCE_GITHUB_VERIFIER: 'gitlab',
      SOURCE_GITHUB_SECRET: 'gh-secret-value',
      SOURCE_ACME_VERIFIER: 'hmac',
      SOURCE_ACME_SECRET: 'acme-secret-value',
      SOURCE_ACME_HMAC_HEADER: 'x-acme',
      SOURCE_ACME_HMAC_SIGNED: '{timestamp}.{body}',
      SOURCE_OPEN_VERIFIER: 'none',
      SOURCE_BAD_NAME_VERIFIER: 'none',
      SOURCE_LEGACY_VERIFIER: 'standard-webhooks',
      SOURCE_LEGACY_SECRET: 'whsec_not*base64',
    });
    expect(problems).toEqual([
      'SOURCE_STRIPE_SECRET: a secret is required (source stripe)',
      'SOURCE_GITHUB_VERIFIER: must be one of standard-webhooks, stripe, github, shopify, slack, hmac, basic, none (source github)',
      'SOURCE_ACME_HMAC_SIGNED: a template with {timestamp} needs a timestamp header (source acme)',
      'SOURCE_OPEN_VERIFIER: none (no verification) is allowed only while the service listens on loopback; set a verifier',
      'SOURCE_BAD_NAME_VERIFIER: none (no verification) is allowed only while the service listens on loopback; set a verifier',
      expect.stringMatching(/^WEBHOOK_SOURCES: "default" is the source of POST \/webhooks/),
      'WEBHOOK_SOURCES: stripe is listed twice',
      expect.stringMatching(/^SOURCE_LEGACY_SECRET: entry #1 of 1 is not valid base64.* \(source legacy\)$/),
    ]);
    expect(problems.join('\n')).not.toMatch(/gh-secret-value|acme-secret-value|not\*base64/);
  });

  it('refuses a badly named source and an unverified one off loopback, and allows none on loopback', () => {
    expect(
      configProblems({ WEBHOOK_SOURCES: 'Bad_Name', SOURCE_BAD_NAME_VERIFIER: 'basic', SOURCE_BAD_NAME_SECRET: 'u:p' }),
    ).toEqual(['WEBHOOK_SOURCES: a source name must be 1 to 40 of a-z, 0-9 and "-" (source Bad_Name)']);
    expect(configProblems({ WEBHOOK_SOURCES: 'local', SOURCE_LOCAL_VERIFIER: 'none' })).toEqual([]);
  });
});
