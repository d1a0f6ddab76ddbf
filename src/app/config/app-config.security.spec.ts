import { ConfigError, loadConfig } from './app-config.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('loadConfig: security settings', () => {
  it('refuses production without WEBHOOK_SECRET, saying what to set', () => {
    for (const secret of [undefined, '', '   ']) {
      const problems = problemsOf({
        NODE_ENV: 'production',
        ...(secret === undefined ? {} : { WEBHOOK_SECRET: secret }),
      });
      expect(problems).toEqual([
        expect.stringMatching(/^WEBHOOK_SECRET: required when NODE_ENV=production \(the "whsec_\.\.\." signing secret/),
      ]);
    }
  });

  it('starts production with a secret, and development or test without one', () => {
    expect(
      loadConfig({ NODE_ENV: 'production', WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }).isProduction,
    ).toBe(true);
    expect(problemsOf({ NODE_ENV: 'development' })).toEqual([]);
    expect(problemsOf({ NODE_ENV: 'test' })).toEqual([]);
  });

  it('refuses a malformed secret at start, naming its position and never its value', () => {
    const problems = problemsOf({ WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_not*base64' });
    expect(problems).toEqual([
      'WEBHOOK_SECRET: entry #2 of 2 is not valid base64 (expected "whsec_" followed by standard base64); each secret must be "whsec_" followed by the base64-encoded key',
    ]);
    expect(problems.join('')).not.toContain('MfKQ9r8');
    expect(problems.join('')).not.toContain('not*base64');
  });

  it('reads the signature-failure throttle settings, with defaults', () => {
    expect(loadConfig({})).toMatchObject({ SIGNATURE_FAILURE_LIMIT: 10, SIGNATURE_FAILURE_WINDOW_SECONDS: 60 });
    expect(loadConfig({ SIGNATURE_FAILURE_LIMIT: '3', SIGNATURE_FAILURE_WINDOW_SECONDS: '5' })).toMatchObject({
      SIGNATURE_FAILURE_LIMIT: 3,
      SIGNATURE_FAILURE_WINDOW_SECONDS: 5,
    });
    expect(problemsOf({ SIGNATURE_FAILURE_LIMIT: '0' })).toEqual([
      expect.stringMatching(/^SIGNATURE_FAILURE_LIMIT="0"/),
    ]);
  });
});
