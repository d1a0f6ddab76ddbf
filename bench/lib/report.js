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

const ATTRIBUTION =
  'Attribution: the acknowledgement is charged what the ingest path writes, the `webhook_events` inserts, and ' +
  'the statements `webhook-inbox:write-events` and `webhook-inbox:find-events`; processing is everything else ' +
  "(the event's status updates, deliveries, attempts, the handlers' own tables; every other statement, the relay's " +
  'polls included). Row versions = inserts + updates, from `pg_stat_user_tables` between settled reads.';

const settledNote = (rv) => (rv && !rv.settled ? ' (counters not settled: some may count in the next window)' : '');

/** "ack + processing = total" of a per-event split. */
const splitCell = (split, digits = 2) =>
  split ? `${n(split.ack, digits)} + ${n(split.processing, digits)} = ${n(split.total, digits)}` : '–';

/** The end-to-end table of one scenario (the no-op run and the example mix share it). */
function endToEndTable(e) {
  return table(
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
  );
}

/** CPU and round trips per event of one end-to-end scenario, busiest round trips first. */
function roundTripSection(out, e) {
  const r = e.roundTripsPer1000Events;
  if (!r) return;
  out.push('');
  out.push(
    `Per event, end to end: CPU µs ${cpuCell(e.cpuMicrosPerEvent)} (generator + service + Postgres + Redis); ` +
      `${n(r.postgresTotal / 1000, 2)} Postgres statements and ${n(r.redisTotal / 1000, 2)} Redis commands.`,
  );
  out.push(
    table(
      ['round trip', 'side', 'per 1000 events', 'mean ms'],
      [
        ...r.postgres.map((x) => [`pg: ${x.key}`, x.side ?? '', n(x.per1000, 1), n(x.meanMs, 2)]),
        ...r.redis.map((x) => [`redis: ${x.key}`, 'processing', n(x.per1000, 1), n(x.meanMs, 2)]),
      ].slice(0, 16),
    ),
  );
}

/** Both end-to-end scenarios in columns: speed, cost per event and the verdict. */
function sideBySide(out, scenarios) {
  out.push('');
  out.push('### End to end side by side: cost per acknowledged event');
  out.push(ATTRIBUTION);
  out.push('');
  const cells = (f) => scenarios.map(({ run }) => f(run));
  const rv = (e) => e.rowVersionsPerEvent;
  const st = (e) => e.statementsPerEvent;
  out.push(
    table(
      ['', ...scenarios.map((s) => s.label)],
      [
        ['events acknowledged', ...cells((e) => n(e.acknowledgedIds))],
        ['events/s end to end', ...cells((e) => n(e.eventsPerSecond))],
        ['lag p50 / p99 ms', ...cells((e) => `${n(e.lagMs.p50, 1)} / ${n(e.lagMs.p99, 1)}`)],
        ['failed events', ...cells((e) => n(e.failedEvents))],
        [
          'deliveries succeeded (1st attempt) / events',
          ...cells(
            (e) => `${n(e.deliveriesSucceeded)} (${n(e.deliveriesSucceededFirstAttempt)}) / ${n(e.acknowledgedIds)}`,
          ),
        ],
        ['row versions / event: acknowledgement', ...cells((e) => n(rv(e)?.ack, 2))],
        ['row versions / event: processing', ...cells((e) => n(rv(e)?.processing, 2))],
        ['**row versions / event: total**', ...cells((e) => `**${n(rv(e)?.total, 2)}**${settledNote(rv(e))}`)],
        ['pg statements / event: acknowledgement', ...cells((e) => n(st(e)?.ack, 3))],
        ['pg statements / event: processing', ...cells((e) => n(st(e)?.processing, 3))],
        ['Redis commands / event', ...cells((e) => n(st(e)?.redisCommands, 2))],
        ['CPU µs / event (all processes)', ...cells((e) => n(e.cpuMicrosPerEvent?.total))],
        ['exactly once / correct?', ...scenarios.map((s) => (s.run.exactlyOnce ? 'yes' : 'NO'))],
      ],
    ),
  );
  const waits = scenarios.map(({ label, run }) => {
    const after = run.rowVersionsPerEvent?.settle?.after;
    if (!after) return `${label}: –`;
    const short = after.stableButShort?.unmet.reduce((sum, u) => sum + (u.atLeast - u.counted), 0);
    return (
      `${label}: ${n(after.ms / 1000, 1)} s` +
      (short
        ? ` (two agreeing reads after ${n(after.stableButShort.afterMs / 1000, 1)} s were ≥ ${n(short)} short)`
        : '')
    );
  });
  out.push('');
  out.push(
    `Postgres publishes these counters late (up to ~10 s for an idle connection); the read after each run waited ` +
      `until two reads 1 s apart agreed and covered the rows the run left: ${waits.join('; ')}.`,
  );
  const tables = [
    ...new Set(scenarios.flatMap(({ run }) => Object.keys(run.rowVersionsPerEvent?.tables ?? {}))),
  ].filter((t) => scenarios.some(({ run }) => run.rowVersionsPerEvent.tables[t]?.rowVersions > 0));
  const anyDeletes = scenarios.some(({ run }) =>
    Object.values(run.rowVersionsPerEvent?.tables ?? {}).some((t) => t.deletes > 0),
  );
  out.push('');
  out.push('Row versions per event by table: inserts, updates (of which HOT)' + (anyDeletes ? ', deletes' : '') + '.');
  out.push(
    table(
      [
        'table',
        ...scenarios.flatMap((s) => [
          `${s.label}: ins`,
          `${s.label}: upd (HOT)`,
          ...(anyDeletes ? [`${s.label}: del`] : []),
        ]),
      ],
      tables.map((t) => [
        t,
        ...scenarios.flatMap(({ run }) => {
          const x = run.rowVersionsPerEvent.tables[t];
          return x
            ? [n(x.inserts, 2), `${n(x.updates, 2)} (${n(x.hotUpdates, 2)})`, ...(anyDeletes ? [n(x.deletes, 2)] : [])]
            : ['–', '–', ...(anyDeletes ? ['–'] : [])];
        }),
      ]),
    ),
  );
}

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
  const costed = result.throughput.filter((r) => r.perEvent);
  if (costed.length) {
    out.push('');
    out.push(
      'Per new event acknowledged by each service measurement, its warm-up and (with workers) the drain after it included ' +
        '(acknowledgement + processing = total; the acknowledgement is the `webhook_events` inserts and the ' +
        '`write-events`/`find-events` statements, processing the rest):',
    );
    out.push(
      table(
        [
          'round',
          'conns',
          'new events',
          'row versions / event',
          'pg statements / event',
          'Redis cmds / event',
          'settled?',
        ],
        costed.map((r) => [
          r.round,
          r.connections,
          n(r.perEvent.newEvents),
          splitCell(r.perEvent.rowVersions),
          splitCell(r.perEvent.statements, 3),
          n(r.perEvent.statements.redisCommands, 2),
          r.perEvent.rowVersions.settled ? 'yes' : 'no',
        ]),
      ),
    );
  }
  if (result.endToEnd) {
    const e = result.endToEnd;
    out.push('');
    out.push(`### End to end, ${n(e.events)} events, no-op handler`);
    out.push(endToEndTable(e));
    roundTripSection(out, e);
  }
  if (result.exampleMix) {
    const e = result.exampleMix;
    const c = e.correctness;
    out.push('');
    out.push(
      `### End to end, ${n(e.events)} events, example mix: ${n(c.posted.create)} subscription_user_create, ` +
        `${n(c.posted.refund)} refunds, ${n(c.posted.chargeback)} chargebacks (real handlers, src/subscriptions)`,
    );
    out.push(
      `Refunds and chargebacks name a subscription created earlier in the run, ${n(c.posted.ofRecentSubscription)} ` +
        'of them one of the 50 latest (often not processed yet).',
    );
    out.push(endToEndTable(e));
    out.push('');
    out.push('Example tables against the acknowledgements (one row per acknowledged id, written by that event):');
    out.push(
      table(
        [
          'table',
          'acknowledged ids',
          'rows',
          'missing',
          'duplicates',
          'stored, never acked',
          'wrong event / subscription / amount',
          'exact?',
        ],
        c.tables.map((t) => [
          t.table,
          n(t.acknowledgedIds),
          n(t.rows),
          n(t.missing),
          n(t.duplicates),
          n(t.neverAcknowledged),
          `${n(t.wrongEvent)} / ${n(t.wrongSubscription)} / ${n(t.wrongAmount)}`,
          t.exact ? 'yes' : 'NO',
        ]),
      ),
    );
    const h = e.handlers;
    out.push('');
    out.push(
      `Subscriptions whose refunded or charged-back total differs from their acknowledged refunds and chargebacks: ` +
        `${n(c.subscriptionTotalsWrong)}. Events posted but not acknowledged: ${n(c.notAcknowledged)}. ` +
        (h.unavailable
          ? `Handler runs not counted (${h.unavailable}).`
          : `Handler runs: ${n(h.runsInRun)} for ${n(h.distinctEventsInRun)} events, ${n(h.eventsRunMoreThanOnce)} ` +
            'run more than once (a rolled-back attempt that was retried counts twice).'),
    );
    roundTripSection(out, e);
  }
  const scenarios = [
    result.endToEnd && { label: 'no-op handler', run: result.endToEnd },
    result.exampleMix && { label: 'example mix', run: result.exampleMix },
  ].filter(Boolean);
  if (scenarios.length) sideBySide(out, scenarios);
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
  if (result.ordering) {
    const o = result.ordering;
    out.push('');
    out.push(
      `### Ordering: ${n(o.events)} events through the same no-op handler, unordered and ordered over ${n(o.keys)} keys`,
    );
    const row = (label, r) => [
      label,
      n(r.eventsPerSecond),
      n(r.lagMs.p50),
      n(r.lagMs.p99),
      cpuCell(r.cpuMicrosPerEvent),
      n(r.statementsPerEvent.total, 3),
      n(r.rowVersionsPerEvent.total, 2),
    ];
    out.push(
      table(
        [
          'handler',
          'events/s',
          'lag p50 ms',
          'lag p99 ms',
          'CPU µs/event: gen + server + pg + redis',
          'statements/event',
          'row versions/event',
        ],
        [row('unordered', o.unordered), row(`ordered (${n(o.keys)} keys)`, o.ordered)],
      ),
    );
    out.push('');
    out.push(`Ordered ÷ unordered: **${n(o.ratio, 2)}**.`);
    const p = o.poison;
    out.push('');
    out.push(
      `One key blocked: ${n(o.events)} events over ${n(p.keys)} keys, the first event's handler fails for good ` +
        `(onDead 'block'). The other keys: ${n(p.otherKeysProcessed)} events processed at ${n(p.otherKeysEventsPerSecond)} ` +
        `events/s; held behind the dead head: ${p.blockedKeys.map((b) => `${b.order_key}: ${b.waiting} waiting, ${b.dead} dead`).join('; ') || 'nothing'} ` +
        `(expected ${p.expectedHeld}). Only its key held: ${p.onlyItsKeyHeld ? 'yes' : 'NO'}.`,
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
