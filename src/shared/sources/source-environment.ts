import type { HmacScheme } from '../signature/hmac.verifier.js';
import {
  DEFAULT_SOURCE,
  resolveWebhookSource,
  SourceSettingError,
  VERIFIER_KINDS,
  type SourceSetting,
  type VerifierKind,
  type WebhookSource,
} from './webhook-source.js';

/** `stripe` → `SOURCE_STRIPE_`, `my-shop` → `SOURCE_MY_SHOP_`. */
export const sourceVariablePrefix = (name: string) => `SOURCE_${name.toUpperCase().replace(/-/g, '_')}_`;

const VARIABLE_OF: Record<SourceSetting, string> = {
  name: 'WEBHOOK_SOURCES',
  verifier: 'VERIFIER',
  secrets: 'SECRET',
  'hmac.header': 'HMAC_HEADER',
  'hmac.algorithm': 'HMAC_ALGORITHM',
  'hmac.encoding': 'HMAC_ENCODING',
  'hmac.signed': 'HMAC_SIGNED',
  type: 'TYPE_FROM',
  id: 'ID_FROM',
  data: 'DATA_FROM',
};

export interface SourcesReading {
  sources: WebhookSource[];
  problems: string[];
}

/**
 * The sources besides the default one, from the environment alone (containers have nothing
 * else): WEBHOOK_SOURCES names them, SOURCE_<NAME>_* configures each. Every problem names its
 * variable; no secret is ever quoted.
 */
export function readWebhookSources(env: NodeJS.ProcessEnv, loopbackOnly: boolean): SourcesReading {
  const names = (env.WEBHOOK_SOURCES ?? '').split(/[\s,]+/).filter((name) => name.length > 0);
  const problems: string[] = [];
  const sources: WebhookSource[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (name === DEFAULT_SOURCE) {
      problems.push(
        `WEBHOOK_SOURCES: "${DEFAULT_SOURCE}" is the source of POST /webhooks (WEBHOOK_SECRET); name yours otherwise`,
      );
      continue;
    }
    if (seen.has(name)) {
      problems.push(`WEBHOOK_SOURCES: ${name} is listed twice`);
      continue;
    }
    seen.add(name);
    const prefix = sourceVariablePrefix(name);
    const value = (suffix: string) => {
      const given = env[`${prefix}${suffix}`]?.trim();
      return given ? given : undefined;
    };
    const verifier = value('VERIFIER');
    if (verifier === undefined) {
      problems.push(`${prefix}VERIFIER: required for source ${name} (one of ${VERIFIER_KINDS.join(', ')})`);
      continue;
    }
    if (verifier === 'none' && !loopbackOnly) {
      problems.push(
        `${prefix}VERIFIER: none (no verification) is allowed only while the service listens on loopback; set a verifier`,
      );
      continue;
    }
    const tolerance = value('TOLERANCE_SECONDS');
    if (tolerance !== undefined && !/^\d{1,5}$/.test(tolerance)) {
      problems.push(`${prefix}TOLERANCE_SECONDS="${tolerance}": must be a whole number of seconds`);
      continue;
    }
    try {
      sources.push(
        resolveWebhookSource({
          name,
          verifier: verifier as VerifierKind,
          secrets: value('SECRET')?.split(/\s+/),
          toleranceSeconds: tolerance === undefined ? undefined : Number(tolerance),
          hmac: {
            header: value('HMAC_HEADER'),
            algorithm: value('HMAC_ALGORITHM') as HmacScheme['algorithm'] | undefined,
            encoding: value('HMAC_ENCODING') as HmacScheme['encoding'] | undefined,
            prefix: value('HMAC_PREFIX'),
            signed: value('HMAC_SIGNED'),
            timestampHeader: value('TIMESTAMP_HEADER'),
          },
          type: value('TYPE_FROM'),
          id: value('ID_FROM'),
          data: value('DATA_FROM'),
        }),
      );
    } catch (error) {
      if (!(error instanceof SourceSettingError)) throw error;
      const variable = error.setting === 'name' ? 'WEBHOOK_SOURCES' : `${prefix}${VARIABLE_OF[error.setting]}`;
      problems.push(`${variable}: ${error.message} (source ${name})`);
    }
  }
  return { sources, problems };
}
