import { alertOptions } from './alert-settings.js';
import { configProblems, loadConfig } from './app-config.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const URL = 'https://hooks.example.test/T000/B000/XXXX';

describe('loadConfig: alert settings', () => {
  it('leaves alerts off without ALERT_WEBHOOK_URL', () => {
    expect(alertOptions(loadConfig({}))).toBeUndefined();
  });

  it('turns them on with the defaults', () => {
    expect(alertOptions(loadConfig({ ALERT_WEBHOOK_URL: URL, ALERT_WEBHOOK_SECRET: SECRET }))).toEqual({
      url: URL,
      secret: SECRET,
      format: 'standard',
      checkIntervalMs: 15_000,
      sources: ['default'],
      thresholds: {
        handlerFailureRatio: 0.5,
        handlerMinAttempts: 10,
        handlerWindowSeconds: 300,
        backlogStaleSeconds: 300,
        signatureFailures: 20,
        signatureWindowSeconds: 300,
        sourceSilentSeconds: undefined,
      },
    });
  });

  it('needs a secret for Standard Webhooks messages, not for Slack ones', () => {
    expect(configProblems({ ALERT_WEBHOOK_URL: URL })).toEqual([
      expect.stringMatching(/^ALERT_WEBHOOK_SECRET: required with ALERT_WEBHOOK_URL and ALERT_FORMAT=standard/),
    ]);
    expect(configProblems({ ALERT_WEBHOOK_URL: URL, ALERT_FORMAT: 'slack' })).toEqual([]);
    expect(configProblems({ ALERT_WEBHOOK_URL: URL, ALERT_WEBHOOK_SECRET: 'whsec_not-base64!' })).toEqual([
      expect.stringMatching(/^ALERT_WEBHOOK_SECRET: is not valid base64/),
    ]);
    expect(configProblems({ ALERT_WEBHOOK_URL: URL, ALERT_WEBHOOK_SECRET: `${SECRET} ${SECRET}` })).toEqual([
      'ALERT_WEBHOOK_SECRET: must be one whsec_ secret (no spaces)',
    ]);
  });

  it('says which threshold is wrong, never printing the URL or the secret', () => {
    const problems = configProblems({
      ALERT_WEBHOOK_URL: 'hooks.example.test/secret-path',
      ALERT_WEBHOOK_SECRET: SECRET,
      ALERT_FORMAT: 'email',
      ALERT_HANDLER_FAILURE_RATIO: '1.5',
      ALERT_HANDLER_WINDOW: '5s',
      ALERT_SOURCE_SILENT_AFTER: 'often',
    });
    expect(problems).toEqual([
      'ALERT_WEBHOOK_URL=<hidden>: must be an http(s):// URL',
      expect.stringMatching(/^ALERT_FORMAT="email": must be one of the following values: standard, slack/),
      'ALERT_HANDLER_FAILURE_RATIO="1.5": must be a number from 0.01 to 1',
      expect.stringMatching(/^ALERT_SOURCE_SILENT_AFTER="often": must be a number and a unit/),
      'ALERT_HANDLER_WINDOW="5s": must be at least 10s (counts are kept in 10 s buckets)',
    ]);
    expect(problems.join('\n')).not.toContain('secret-path');
  });

  it('reads durations and the silence per source', () => {
    const options = alertOptions(
      loadConfig({
        ALERT_WEBHOOK_URL: URL,
        ALERT_FORMAT: 'slack',
        ALERT_CHECK_INTERVAL: '2s',
        ALERT_SOURCE_SILENT_AFTER: '6h',
        ALERT_BACKLOG_STALE_AFTER: '90s',
      }),
    )!;
    expect(options.checkIntervalMs).toBe(2000);
    expect(options.thresholds.sourceSilentSeconds).toBe(21_600);
    expect(options.thresholds.backlogStaleSeconds).toBe(90);
  });
});
