import { slackBody, standardBody, summaryOf, type Alert } from './alert-message.js';

const dead: Alert = {
  type: 'delivery.dead',
  key: 'delivery.dead:RefundHandler',
  at: new Date('2026-12-02T10:00:00Z'),
  details: {
    handler: 'RefundHandler',
    eventId: 'e1',
    eventType: 'subscription_event_refund',
    source: 'default',
    attempts: 5,
    lastError: 'ledger unavailable',
  },
};

describe('alert messages', () => {
  it('summarises each condition in one line an operator can act on', () => {
    expect(summaryOf(dead)).toBe(
      'handler RefundHandler gave up on event e1 (subscription_event_refund from default) after 5 attempt(s): ledger unavailable',
    );
    expect(
      summaryOf({
        ...dead,
        type: 'backlog.stale',
        details: { oldestUnfinishedAgeSeconds: 420, thresholdSeconds: 300 },
      }),
    ).toBe('the oldest unfinished event is 420 s old (threshold 300 s)');
  });

  it('writes Standard Webhooks messages as {type, timestamp, data}', () => {
    expect(JSON.parse(standardBody(dead))).toEqual({
      type: 'delivery.dead',
      timestamp: '2026-12-02T10:00:00.000Z',
      data: expect.objectContaining({
        conditionKey: 'delivery.dead:RefundHandler',
        summary: summaryOf(dead),
        host: expect.any(String),
        eventId: 'e1',
        lastError: 'ledger unavailable',
      }),
    });
  });

  it('writes Slack messages with a text fallback and the facts', () => {
    const message = JSON.parse(slackBody(dead));
    expect(message.text).toBe(`:rotating_light: *webhook-inbox delivery.dead*: ${summaryOf(dead)}`);
    expect(JSON.stringify(message.blocks)).toContain('lastError: ledger unavailable');
    const recovered = JSON.parse(
      slackBody({ ...dead, type: 'handler.recovered', details: { handler: 'H', attempts: 4, failures: 0 } }),
    );
    expect(recovered.text).toMatch(/^:white_check_mark: \*webhook-inbox handler\.recovered\*/);
  });
});
