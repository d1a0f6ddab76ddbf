// The markdown tables printed at the end of a run (the JSON file holds everything).

const n = (value, digits = 0) =>
  value === null || value === undefined || Number.isNaN(value)
    ? '–'
    : Number(value).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

const cpuCell = (c) =>
  c ? `${n(c.generator)} + ${n(c.server)} + ${n(c.postgres)} + ${n(c.redis)} = ${n(c.total)}` : '–';

export function markdownReport(result) {
  const s = result.settings;
  const out = [];
  out.push(`## webhook-inbox bench — ${result.startedAt}`);
  out.push(
    `${result.machine.cpus} × ${result.machine.cpuModel}, Node ${result.machine.node}, ${result.machine.postgres}, Redis ${result.machine.redis}. ` +
      `Envelopes ${result.envelopeBytes} B, signed, ${Math.round(s.duplicateShare * 100)}% re-sent duplicates; ` +
      `${s.rounds} round(s) of ${s.warmupSeconds} s warm-up + ${s.durationSeconds} s per measurement, targets alternating.`,
  );
  out.push('');
  out.push('### Acknowledged throughput, POST /webhooks');
  out.push(
    table(
      [
        'round',
        'target',
        'conns',
        'req/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'non-2xx',
        'errors',
        'CPU µs/req: gen + server + pg + redis',
        '× bare',
      ],
      result.throughput.map((r) => [
        r.round,
        r.target,
        r.connections,
        n(r.requestsPerSecond),
        n(r.latencyMs.p50, 1),
        n(r.latencyMs.p99, 1),
        n(r.latencyMs.max),
        n(r.non2xx),
        n(r.errors),
        cpuCell(r.cpuMicrosPerRequest),
        r.target === 'service' ? n(r.ratioToBare, 2) : '',
      ]),
    ),
  );
  out.push('');
  out.push(
    table(
      ['conns', 'bare req/s (mean)', 'service req/s (mean)', 'service p99 ms (worst)', '× bare (mean)'],
      result.summary.map((r) => [
        r.connections,
        n(r.bareRequestsPerSecond),
        n(r.serviceRequestsPerSecond),
        n(r.serviceWorstP99Ms, 1),
        n(r.ratioToBare, 2),
      ]),
    ),
  );
  if (result.endToEnd) {
    const e = result.endToEnd;
    out.push('');
    out.push(`### End to end, ${n(e.events)} events, no-op handler`);
    out.push(
      table(
        [
          'posted in s',
          'all processed in s',
          'events/s',
          'ack req/s',
          'lag p50 ms',
          'lag p99 ms',
          'lag max ms',
          'succeeded on 1st attempt',
          'failed',
        ],
        [
          [
            n(e.postedSeconds, 2),
            n(e.processedSeconds, 2),
            n(e.eventsPerSecond),
            n(e.post.requestsPerSecond),
            n(e.lagMs.p50, 1),
            n(e.lagMs.p99, 1),
            n(e.lagMs.max),
            `${n(e.deliveriesSucceededFirstAttempt)} / ${n(e.acknowledged)}`,
            n(e.failedEvents),
          ],
        ],
      ),
    );
  }
  if (result.endToEnd?.roundTripsPer1000Events) {
    const r = result.endToEnd.roundTripsPer1000Events;
    const c = result.endToEnd.cpuMicrosPerEvent;
    out.push('');
    out.push(
      `Per event, end to end: CPU µs ${cpuCell(c)} (generator + service + Postgres + Redis); ` +
        `${n(r.postgresTotal / 1000, 2)} Postgres statements and ${n(r.redisTotal / 1000, 2)} Redis commands.`,
    );
    out.push(
      table(
        ['round trip', 'per 1000 events', 'mean ms'],
        [
          ...r.postgres.map((e) => [`pg: ${e.key}`, n(e.per1000, 1), n(e.meanMs, 2)]),
          ...r.redis.map((e) => [`redis: ${e.key}`, n(e.per1000, 1), n(e.meanMs, 2)]),
        ].slice(0, 16),
      ),
    );
  }
  if (result.atScale) {
    const a = result.atScale;
    out.push('');
    out.push(`### Cost as work grows: ${n(a.rowsInTable)} rows in webhook_events (seeded in ${n(a.seedSeconds, 1)} s)`);
    out.push(
      table(
        ['table rows', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx'],
        [a.baseline, a.ack].map((r) => [
          `${r.rowsNote ? '≤ ' : ''}${n(r.rowsInTable)}`,
          r.connections,
          n(r.requestsPerSecond),
          n(r.latencyMs.p50, 1),
          n(r.latencyMs.p99, 1),
          n(r.latencyMs.max),
          n(r.non2xx),
        ]),
      ),
    );
    out.push('');
    out.push(`Admin event list pages (${a.adminPages.via}):`);
    out.push(
      table(
        ['list', 'pages', 'p50 ms', 'p99 ms', 'max ms'],
        a.adminPages.lists.map((l) => [l.list, l.pages, n(l.p50Ms, 2), n(l.p99Ms, 2), n(l.maxMs, 2)]),
      ),
    );
  }
  out.push('');
  out.push('### Peak RSS, acknowledged ids, exactly once');
  const c = result.ackCheck;
  const x = result.exactlyOnce;
  out.push(
    table(
      [
        'service MB',
        'bare MB',
        'load generator MB',
        'acknowledged ids',
        'rows (source default)',
        'acked but missing',
        'stored, never acked',
        'exact?',
      ],
      [
        [
          n(result.rss.serviceMb),
          n(result.rss.bareMb),
          n(result.rss.loadGeneratorMb),
          n(c.acknowledgedIds),
          n(c.rowsInTable),
          n(c.acknowledgedButMissing),
          n(c.storedButNeverAcknowledged),
          c.exact ? 'yes' : `NO (${JSON.stringify(c)})`,
        ],
      ],
    ),
  );
  out.push('');
  out.push(
    table(
      [
        'no-op handler runs',
        'distinct events run',
        'run twice or more',
        'deliveries',
        'succeeded',
        'attempts recorded',
        'exactly once?',
      ],
      [
        [
          n(x.handlerRuns),
          n(x.handlerDistinctEvents),
          n(x.handlerEventsRunMoreThanOnce),
          n(x.deliveries),
          n(x.succeeded),
          n(x.attempts),
          x.exact ? 'yes' : 'NO',
        ],
      ],
    ),
  );
  if (result.profile) {
    out.push('');
    out.push(
      `### CPU profile of the service (${result.profile.file}), busy ${result.profile.busyPercent}% of ${n(result.profile.wallMs)} ms`,
    );
    out.push(
      table(
        ['package', 'self ms', '% of busy'],
        result.profile.byPackage.map((p) => [p.name, n(p.selfMs), n(p.percentOfBusy, 1)]),
      ),
    );
    out.push('');
    out.push(
      table(
        ['function', 'self ms', '% of busy'],
        result.profile.topFunctions.map((f) => [`\`${f.name}\``, n(f.selfMs), n(f.percentOfBusy, 1)]),
      ),
    );
  }
  return out.join('\n');
}
