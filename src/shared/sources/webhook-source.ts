import { BasicAuthVerifier } from '../signature/basic-auth.verifier.js';
import {
  HMAC_ALGORITHMS,
  HMAC_ENCODINGS,
  HmacVerifier,
  hmacSchemeProblem,
  type HmacScheme,
} from '../signature/hmac.verifier.js';
import { parseWebhookSecrets, StandardWebhooksVerifier } from '../signature/standard-webhooks.verifier.js';
import { StripeVerifier } from '../signature/stripe.verifier.js';
import type { WebhookVerifier } from '../signature/webhook-verifier.js';

/** How a source proves its requests; the provider names are presets of everything else too. */
export const VERIFIER_KINDS = [
  'standard-webhooks',
  'stripe',
  'github',
  'shopify',
  'slack',
  'hmac',
  'basic',
  'none',
] as const;
export type VerifierKind = (typeof VERIFIER_KINDS)[number];

export const SOURCE_NAME = /^[a-z0-9-]{1,40}$/;
/** The source of `POST /webhooks`, the provider's envelope signed per Standard Webhooks. */
export const DEFAULT_SOURCE = 'default';

/** Where a value comes from: `body:<dotted path>` or `header:<name>`; `?` at the end makes it optional. */
export interface FieldRule {
  from: 'body' | 'header';
  path: string;
  optional: boolean;
}

/** A source with every setting resolved (preset, then overrides): what ingress and processing use. */
export interface WebhookSource {
  name: string;
  verifier: VerifierKind;
  /** Secrets (for `basic`: `user:password` pairs); several during a rotation. */
  secrets: string[];
  /** For `hmac` and the presets built on it (GitHub, Shopify, Slack). */
  hmac?: HmacScheme;
  toleranceSeconds: number;
  /** The event type: these parts, joined by ".". */
  type: FieldRule[];
  /** The event's identity (de-duplication key): the first of these present, else the body's SHA-256. */
  id: FieldRule[];
  /** Where the handler's `event.data` is: `body` (the whole body) or a dotted path under it. */
  data: string;
  /** Answers Slack's URL-verification challenge instead of storing it. */
  slackChallenge: boolean;
}

/** What an operator may set for a source (all but the name and verifier optional). */
export interface WebhookSourceSettings {
  name: string;
  verifier: VerifierKind;
  secrets?: string[];
  hmac?: Partial<HmacScheme>;
  toleranceSeconds?: number;
  type?: string;
  id?: string;
  data?: string;
}

const rules = (...specs: string[]) => specs.map((spec) => parseFieldRule(spec));

/** Each provider's documented scheme, and where its events keep their type, identity and data. */
const PRESETS: Record<VerifierKind, Omit<WebhookSource, 'name' | 'verifier' | 'secrets'>> = {
  'standard-webhooks': {
    toleranceSeconds: 300,
    type: rules('body:type'),
    id: rules('body:id?', 'header:webhook-id?'),
    data: 'data',
    slackChallenge: false,
  },
  stripe: {
    toleranceSeconds: 300,
    type: rules('body:type'),
    id: rules('body:id'),
    data: 'data',
    slackChallenge: false,
  },
  github: {
    hmac: { header: 'x-hub-signature-256', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=', signed: '{body}' },
    toleranceSeconds: 300,
    // `pull_request.opened`: the event header, then the body's action when it has one.
    type: rules('header:x-github-event', 'body:action?'),
    id: rules('header:x-github-delivery'),
    data: 'body',
    slackChallenge: false,
  },
  shopify: {
    hmac: { header: 'x-shopify-hmac-sha256', algorithm: 'sha256', encoding: 'base64', signed: '{body}' },
    toleranceSeconds: 300,
    type: rules('header:x-shopify-topic'),
    id: rules('header:x-shopify-event-id?', 'header:x-shopify-webhook-id?'),
    data: 'body',
    slackChallenge: false,
  },
  slack: {
    hmac: {
      header: 'x-slack-signature',
      algorithm: 'sha256',
      encoding: 'hex',
      prefix: 'v0=',
      signed: 'v0:{timestamp}:{body}',
      timestampHeader: 'x-slack-request-timestamp',
      toleranceSeconds: 300,
    },
    toleranceSeconds: 300,
    type: rules('body:event.type'),
    id: rules('body:event_id'),
    data: 'body',
    slackChallenge: true,
  },
  hmac: { toleranceSeconds: 300, type: rules('body:type'), id: rules('body:id?'), data: 'body', slackChallenge: false },
  basic: {
    toleranceSeconds: 300,
    type: rules('body:type'),
    id: rules('body:id?'),
    data: 'body',
    slackChallenge: false,
  },
  none: { toleranceSeconds: 300, type: rules('body:type'), id: rules('body:id?'), data: 'body', slackChallenge: false },
};

/** Which setting a problem is about, so that the configuration can name its variable. */
export type SourceSetting =
  | 'name'
  | 'verifier'
  | 'secrets'
  | 'hmac.header'
  | 'hmac.algorithm'
  | 'hmac.encoding'
  | 'hmac.signed'
  | 'type'
  | 'id'
  | 'data';

export class SourceSettingError extends Error {
  constructor(
    readonly setting: SourceSetting,
    message: string,
  ) {
    super(message);
    this.name = 'SourceSettingError';
  }
}

/** `body:data.object.id`, `header:X-GitHub-Event`, with an optional trailing `?`. Throws on anything else. */
export function parseFieldRule(spec: string): FieldRule {
  const match = /^(body|header):([A-Za-z0-9_.-]+?)(\?)?$/.exec(spec.trim());
  if (!match || match[2].startsWith('.') || match[2].endsWith('.') || match[2].includes('..')) {
    throw new Error(`"${spec}" is not body:<dotted path> or header:<name>`);
  }
  const from = match[1] as FieldRule['from'];
  return { from, path: from === 'header' ? match[2].toLowerCase() : match[2], optional: match[3] === '?' };
}

/**
 * The preset for `verifier`, with the operator's overrides; throws an Error saying what is wrong
 * (never quoting a secret), so that a misconfigured source stops the start.
 */
export function resolveWebhookSource(settings: WebhookSourceSettings): WebhookSource {
  const fail = (setting: SourceSetting, message: string): never => {
    throw new SourceSettingError(setting, message);
  };
  if (!SOURCE_NAME.test(settings.name)) fail('name', 'a source name must be 1 to 40 of a-z, 0-9 and "-"');
  if (!VERIFIER_KINDS.includes(settings.verifier)) fail('verifier', `must be one of ${VERIFIER_KINDS.join(', ')}`);
  const preset = PRESETS[settings.verifier];
  const secrets = settings.secrets ?? [];
  if (settings.verifier !== 'none' && secrets.length === 0) fail('secrets', 'a secret is required');
  const hmac = settings.verifier === 'hmac' ? completeHmac(settings.hmac ?? {}) : preset.hmac;
  if (hmac) {
    const problem = hmacSchemeProblem(hmac);
    if (problem) fail('hmac.signed', problem);
  }
  const rule = (setting: SourceSetting, spec: string | undefined, fallback: FieldRule[]) => {
    if (spec === undefined) return fallback;
    try {
      return [parseFieldRule(spec)];
    } catch (error) {
      return fail(setting, (error as Error).message);
    }
  };
  const data = settings.data ?? preset.data;
  if (!/^(body|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)$/.test(data)) {
    fail('data', 'must be "body" or a dotted path under the body');
  }
  const source: WebhookSource = {
    name: settings.name,
    verifier: settings.verifier,
    secrets,
    hmac: hmac && { ...hmac, toleranceSeconds: settings.toleranceSeconds ?? hmac.toleranceSeconds },
    toleranceSeconds: settings.toleranceSeconds ?? preset.toleranceSeconds,
    type: rule('type', settings.type, preset.type),
    id: rule('id', settings.id, preset.id),
    data,
    slackChallenge: preset.slackChallenge,
  };
  try {
    buildVerifier(source); // the secrets in the shape the scheme needs (whsec_ base64, user:password)
  } catch (error) {
    fail('secrets', (error as Error).message.replace(/^WEBHOOK_SECRET /, ''));
  }
  return source;
}

function completeHmac(given: Partial<HmacScheme>): HmacScheme {
  if (!given.header) throw new Error('an hmac source needs its signature header');
  const algorithm = given.algorithm ?? 'sha256';
  const encoding = given.encoding ?? 'hex';
  if (!HMAC_ALGORITHMS.includes(algorithm))
    throw new Error(`the algorithm must be one of ${HMAC_ALGORITHMS.join(', ')}`);
  if (!HMAC_ENCODINGS.includes(encoding)) throw new Error(`the encoding must be one of ${HMAC_ENCODINGS.join(', ')}`);
  return {
    header: given.header.toLowerCase(),
    algorithm,
    encoding,
    prefix: given.prefix,
    signed: given.signed ?? '{body}',
    timestampHeader: given.timestampHeader?.toLowerCase(),
    toleranceSeconds: given.toleranceSeconds,
  };
}

/** The verifier of a resolved source; undefined for `none`. */
export function buildVerifier(source: WebhookSource): WebhookVerifier | undefined {
  switch (source.verifier) {
    case 'none':
      return undefined;
    case 'standard-webhooks': {
      const verifier = new StandardWebhooksVerifier(
        parseWebhookSecrets(source.secrets.join(' ')),
        source.toleranceSeconds,
      );
      return {
        verify: (body, headers, now) =>
          verifier.verify(
            body,
            {
              id: single(headers['webhook-id']),
              timestamp: single(headers['webhook-timestamp']),
              signature: single(headers['webhook-signature']),
            },
            now,
          ),
      };
    }
    case 'stripe':
      return new StripeVerifier(source.secrets, source.toleranceSeconds);
    case 'basic':
      return new BasicAuthVerifier(source.secrets);
    default:
      return new HmacVerifier(source.hmac!, source.secrets);
  }
}

const single = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);
