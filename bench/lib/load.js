// One autocannon run against POST /webhooks, with per-request envelopes and an acknowledgement
// ledger: what the service said about each id, to be compared with the table afterwards.
import autocannon from 'autocannon';

/**
 * Every 2xx the service gave, by envelope id. The contract checked at the end: each acknowledged
 * id is in the table under the inbox id it was answered with, exactly one answer per id said
 * `duplicate: false`, and every re-send was answered with the original's inbox id.
 */
export class AckLedger {
  constructor() {
    this.inboxIdByExternalId = new Map();
    this.firstAnswers = new Map();
    this.acknowledged = 0;
    this.duplicateAnswers = 0;
    this.inconsistentIds = 0;
    this.unparseable = 0;
    /** Requests sent but not answered: in flight when autocannon stopped, or timed out. */
    this.unanswered = new Map();
  }

  sending(request) {
    this.unanswered.set(request.externalId, request);
  }

  record(externalId, status, body) {
    this.unanswered.delete(externalId);
    if (status < 200 || status > 299) return;
    let answer;
    try {
      answer = JSON.parse(body);
    } catch {
      this.unparseable++;
      return;
    }
    this.acknowledged++;
    if (answer.duplicate) this.duplicateAnswers++;
    else this.firstAnswers.set(externalId, (this.firstAnswers.get(externalId) ?? 0) + 1);
    const known = this.inboxIdByExternalId.get(externalId);
    if (known === undefined) this.inboxIdByExternalId.set(externalId, answer.id);
    else if (known !== answer.id) this.inconsistentIds++;
  }

  /** Ids answered `duplicate: false` more than once (the first answer may have been lost, so not "exactly"). */
  repeatedFirstAnswers() {
    let violations = 0;
    for (const count of this.firstAnswers.values()) if (count > 1) violations++;
    return violations;
  }

  /**
   * Sends again, as the provider would after a timeout, every request whose answer the load
   * generator never read (autocannon drops the requests in flight when a run's time is up).
   * Their events may well be committed: the answer to the re-send says so.
   */
  async resendUnanswered(url, concurrency = 20) {
    const pending = [...this.unanswered.values()];
    this.unanswered.clear();
    let next = 0;
    const worker = async () => {
      while (next < pending.length) {
        const request = pending[next++];
        const response = await fetch(`${url}/webhooks`, {
          method: 'POST',
          headers: request.headers,
          body: request.body,
        });
        this.record(request.externalId, response.status, await response.text());
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return pending.length;
  }
}

/**
 * Drives `url`/webhooks with `connections` for `durationSeconds` (or until `amount` requests).
 * Returns autocannon's numbers in a flat shape.
 */
export async function runLoad({ url, connections, durationSeconds, amount, factory, ledger, title }) {
  const options = {
    url,
    title,
    connections,
    pipelining: 1,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/webhooks',
        setupRequest(request, context) {
          const next = factory.next();
          context.externalId = next.externalId;
          ledger?.sending(next);
          return { ...request, body: next.body, headers: next.headers };
        },
        onResponse: ledger ? (status, body, context) => ledger.record(context.externalId, status, body) : undefined,
      },
    ],
  };
  if (amount) options.amount = amount;
  else options.duration = durationSeconds;
  const startedAt = Date.now();
  const result = await autocannon(options);
  const summary = summarise(result, Date.now() - startedAt);
  if (ledger) summary.resentAfterRun = await ledger.resendUnanswered(url);
  return summary;
}

function summarise(result, wallMs) {
  const completed = result.requests.total ?? 0;
  return {
    connections: result.connections,
    durationSeconds: Math.round((wallMs / 1000) * 100) / 100,
    requests: completed,
    requestsPerSecond: Math.round(completed / (wallMs / 1000)),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean ?? result.latency.average,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, Number(count)]),
    ),
  };
}
