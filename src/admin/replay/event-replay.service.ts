import {
  BadRequestException,
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
  OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DeliveryStore, type ReopenedDelivery } from '../../inbox/store/delivery.store.js';
import { EventStore, type WaitingEvent } from '../../inbox/store/event.store.js';
import { SourceData } from '../../processing/delivery/source-data.js';
import { orderingEvent, orderKeyOf } from '../../processing/discovery/order-key.js';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { handlerJobs, InboxQueues, type HandlerJob } from '../../inbox/inbox-queues.js';
import type { DeliveryStatus } from '../../inbox/lifecycle.js';
import { RegisteredHandler, WebhookHandlerRegistry } from '../../processing/discovery/webhook-handler.registry.js';
import { WebhookEventEntity } from '../../inbox/entities/webhook-event.entity.js';
import { filteredEvents } from '../events/admin-events.service.js';
import { CURSOR_MICROS_SQL, EventCursor } from '../events/event-cursor.js';
import {
  BULK_REPLAY_CONFIRM_ABOVE,
  type BulkReplayAcceptedDto,
  type EventReplayResultDto,
  type ReplayByFilterDto,
  type ReplayedDeliveryDto,
  type ReplaySelectionDto,
  type SkippedDeliveryDto,
} from './dto/replay.dto.js';

const BULK_BATCH = 500;
const IN_PROGRESS: ReadonlySet<string> = new Set<DeliveryStatus>(['pending', 'running', 'retrying']);

interface ReplayJobs {
  reopened: ReopenedDelivery[];
  jobs: { handler: string; job: HandlerJob }[];
}

interface Selection {
  all: boolean;
  handler?: RegisteredHandler;
}

/**
 * Replays: deliveries go back to `pending`, their events to `queued`, and one job per handler is
 * added with a key of its own (`replay<time>`), so the normal delivery path runs them again with
 * the usual claims, retries and bookkeeping. If Redis refuses the job the rows are committed
 * anyway and the relay queues them once they look stuck.
 */
@Injectable()
export class EventReplayService implements OnApplicationShutdown {
  private readonly logger = new Logger(EventReplayService.name);
  private readonly running = new Set<Promise<void>>();
  private stopping = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(WebhookEventEntity) private readonly events: Repository<WebhookEventEntity>,
    private readonly registry: WebhookHandlerRegistry,
    private readonly queues: InboxQueues,
    private readonly eventStore: EventStore,
    private readonly deliveries: DeliveryStore,
    private readonly sourceData: SourceData,
  ) {}

  async replayEvent(eventId: string, options: ReplaySelectionDto): Promise<EventReplayResultDto> {
    const selection = this.selection(options);
    const event = await this.events.findOne({ where: { id: eventId }, select: { id: true, type: true, source: true } });
    if (!event) throw new NotFoundException(`no event with id ${eventId}`);

    const jobs = await this.reopen([event], selection, `replay${Date.now()}`);
    const reopened = jobs.reopened;
    const queued = await this.enqueue(jobs);
    const replayed: ReplayedDeliveryDto[] = reopened
      .map((row) => ({ handler: row.handler, deliveryId: row.id, previousStatus: row.previous_status }))
      .sort((a, b) => a.handler.localeCompare(b.handler));
    const skipped = await this.skipped(event, selection, new Set(reopened.map((row) => row.handler)));
    if (replayed.length > 0) {
      this.logger.log({
        eventId,
        type: event.type,
        handlers: replayed.map((r) => r.handler),
        msg: `replay of ${replayed.length} delivery(ies) requested`,
      });
    }
    return { eventId, replayed, skipped, queued };
  }

  /** Counts the matching events now and replays them in the background, batch by batch. */
  async replayByFilter(filter: ReplayByFilterDto): Promise<BulkReplayAcceptedDto> {
    const selection = this.selection(filter);
    // Events arriving after the request are not part of it.
    const scope = { ...filter, status: filter.status ?? 'failed', to: filter.to ?? new Date().toISOString() };
    const matched = await filteredEvents(this.events, scope).getCount();
    if (filter.dryRun) return { replayId: null, matched, dryRun: true };
    if (matched > BULK_REPLAY_CONFIRM_ABOVE && filter.confirm !== matched) {
      throw new ConflictException(
        `${matched} events match this filter, more than ${BULK_REPLAY_CONFIRM_ABOVE}: check the filter, then send ` +
          `the same request with "confirm": ${matched}` +
          (filter.confirm === undefined ? '' : ` (confirm was ${filter.confirm}: the count has changed)`),
      );
    }
    const replayId = `replay-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
    this.logger.log({
      replayId,
      filter: scope,
      msg: `bulk replay of ${matched} event(s) started${filter.reason ? `: ${filter.reason}` : ''}`,
    });
    if (matched > 0) {
      const work = this.runBulk(replayId, scope, selection)
        .catch((error: Error) => this.logger.error({ replayId, msg: `bulk replay stopped: ${error.message}` }))
        .finally(() => this.running.delete(work));
      this.running.add(work);
    }
    return { replayId, matched, dryRun: false };
  }

  /** Resolves when every bulk replay running in this process has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.idle();
  }

  private async runBulk(replayId: string, filter: ReplayByFilterDto, selection: Selection): Promise<void> {
    let after: EventCursor | undefined;
    let events = 0;
    let deliveries = 0;
    for (;;) {
      if (this.stopping) {
        this.logger.warn({
          replayId,
          msg: `bulk replay interrupted by shutdown after ${events} event(s); run it again to finish`,
        });
        return;
      }
      const { entities, raw } = await filteredEvents(this.events, filter, after)
        .select(['e.id', 'e.type', 'e.source'])
        .addSelect(CURSOR_MICROS_SQL('e.received_at'), 'cursor_micros')
        .limit(BULK_BATCH)
        .getRawAndEntities<{ cursor_micros: string }>();
      if (entities.length === 0) break;
      const jobs = await this.reopen(entities, selection, `${replayId}-${events}`);
      const reopened = jobs.reopened;
      await this.enqueue(jobs);
      events += entities.length;
      deliveries += reopened.length;
      if (entities.length < BULK_BATCH) break;
      after = { receivedAtMicros: raw[raw.length - 1].cursor_micros, id: entities[entities.length - 1].id };
    }
    this.logger.log({
      replayId,
      msg: `bulk replay finished: ${deliveries} delivery(ies) of ${events} event(s) queued again`,
    });
  }

  private selection(options: { all?: boolean; handler?: string }): Selection {
    if (options.handler === undefined) return { all: options.all ?? false };
    const handler = this.registry.get(options.handler);
    if (!handler) {
      const known =
        this.registry
          .all()
          .map((h) => h.name)
          .join(', ') || 'none';
      throw new BadRequestException([
        `handler ${options.handler} is not registered in this deployment (known: ${known})`,
      ]);
    }
    return { all: options.all ?? false, handler };
  }

  /**
   * One transaction: re-open the chosen deliveries, create the missing ones, note the job each will
   * go on (ids derived from `key`), mark their events queued.
   */
  private reopen(
    events: Pick<WebhookEventEntity, 'id' | 'type' | 'source'>[],
    selection: Selection,
    key: string,
  ): Promise<ReplayJobs> {
    const handlers = selection.handler ? [selection.handler] : this.registry.all();
    // A single handler named explicitly runs again whatever it did before; otherwise only the dead
    // ones do, unless `all`.
    const statuses: DeliveryStatus[] = selection.all || selection.handler ? ['dead', 'succeeded'] : ['dead'];
    return this.dataSource.transaction(async (manager: EntityManager) => {
      const ids = events.map((event) => event.id);
      const reopened = await this.deliveries.reopen(manager, ids, handlers, statuses);
      if (selection.all || selection.handler) {
        const missing: { eventId: string; handler: string; maxAttempts: number; orderKey?: string | null }[] = [];
        // An ordered handler added since needs the event's key: its delivery takes its place in
        // the key by the event's inbox position, like any other. Events without a key are left
        // out (the replay reports them as not replayed).
        const needKeys = events.some((event) =>
          this.registry.handlersFor(event.type, event.source).some((handler) => handler.ordering),
        );
        const stored = needKeys ? await this.eventStore.payloads(ids) : new Map<string, WaitingEvent>();
        for (const event of events) {
          for (const handler of this.registry.handlersFor(event.type, event.source)) {
            if (selection.handler && handler !== selection.handler) continue;
            let orderKey: string | null = null;
            if (handler.ordering) {
              const row = stored.get(event.id);
              const result = row ? orderKeyOf(handler.ordering, orderingEvent(row, this.sourceData.of)) : undefined;
              if (!result || 'refusal' in result) continue;
              orderKey = result.key;
            }
            missing.push({ eventId: event.id, handler: handler.name, maxAttempts: handler.attempts, orderKey });
          }
        }
        reopened.push(...(await this.deliveries.createMissing(manager, missing)));
      }
      const byHandler = new Map<string, ReopenedDelivery[]>();
      for (const row of reopened) byHandler.set(row.handler, [...(byHandler.get(row.handler) ?? []), row]);
      const jobs: ReplayJobs['jobs'] = [];
      const assigned: { id: string; jobId: string }[] = [];
      for (const [name, rows] of byHandler) {
        const handler = this.registry.get(name)!;
        for (const job of handlerJobs(handler, [...new Set(rows.map((row) => row.event_id))], key)) {
          jobs.push({ handler: name, job });
          const carried = new Set(job.eventIds);
          for (const row of rows) if (carried.has(row.event_id)) assigned.push({ id: row.id, jobId: job.id });
        }
      }
      await this.deliveries.assignJobs(manager, assigned);
      await this.eventStore.requeueForReplay(manager, [...new Set(reopened.map((row) => row.event_id))]);
      return { reopened, jobs };
    });
  }

  /** After the commit: one job per handler. False when Redis refused; the relay picks the rows up later. */
  private async enqueue({ jobs }: ReplayJobs): Promise<boolean> {
    try {
      for (const { handler, job } of jobs) await this.queues.addHandlerJobs(handler, [job]);
      return true;
    } catch (error) {
      this.logger.warn({
        jobs: jobs.map(({ job }) => job.id),
        msg: `replay committed but not queued, the relay will queue it: ${(error as Error).message}`,
      });
      return false;
    }
  }

  /** Why each delivery in scope was left alone. */
  private async skipped(
    event: Pick<WebhookEventEntity, 'id' | 'type' | 'source'>,
    selection: Selection,
    replayed: Set<string>,
  ): Promise<SkippedDeliveryDto[]> {
    const rows = await this.deliveries.ofEvent(event.id);
    const skipped: SkippedDeliveryDto[] = [];
    for (const row of rows) {
      if (replayed.has(row.handler) || (selection.handler && row.handler !== selection.handler.name)) continue;
      let reason: string;
      if (IN_PROGRESS.has(row.status)) reason = `still in progress (${row.status}); it runs on its own`;
      else if (!this.registry.get(row.handler)) reason = `handler ${row.handler} is not registered in this deployment`;
      else if (row.status === 'succeeded') reason = 'succeeded; pass all=true to run it again';
      else reason = row.status;
      skipped.push({ handler: row.handler, reason });
    }
    if (
      selection.handler &&
      !replayed.has(selection.handler.name) &&
      !rows.some((row) => row.handler === selection.handler!.name)
    ) {
      skipped.push({ handler: selection.handler.name, reason: `does not handle events of type ${event.type}` });
    }
    return skipped;
  }
}
