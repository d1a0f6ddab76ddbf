import { BadRequestException, ConflictException, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, LessThan, Repository } from 'typeorm';
import { ALL_EVENT_TYPES } from '../../processing/api/on-webhook.decorator.js';
import { EventTypePolicy, SUBSCRIPTION_CACHE_TTL_MS } from '../../processing/event-types/event-type-policy.js';
import { WebhookHandlerRegistry } from '../../processing/discovery/webhook-handler.registry.js';
import type {
  PutSubscriptionsDto,
  PutSubscriptionsResultDto,
  SubscriptionChangeDto,
  SubscriptionHistoryQueryDto,
  SubscriptionListDto,
} from './dto/subscriptions.dto.js';
import { SubscriptionVersion } from '../../processing/event-types/subscription-version.entity.js';

// Serialises writers so that two operators saving at once produce two clean versions, not a lost update.
const WRITE_LOCK_KEY = 4_711_002;

/** The list of processed event types: read, changed (as a new version), and its history. */
@Injectable()
export class EventTypeSubscriptionsService {
  private readonly logger = new Logger(EventTypeSubscriptionsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(SubscriptionVersion) private readonly versions: Repository<SubscriptionVersion>,
    private readonly registry: WebhookHandlerRegistry,
    private readonly policy: EventTypePolicy,
  ) {}

  async current(): Promise<SubscriptionListDto> {
    return this.describe(await this.latest(this.versions));
  }

  async replace(input: PutSubscriptionsDto, changedBy: string): Promise<PutSubscriptionsResultDto> {
    const mode = input.mode ?? 'list';
    if (mode === 'all' && input.types && input.types.length > 0) {
      throw new BadRequestException([
        'types must be empty or absent when mode is "all" (every type with a handler is processed)',
      ]);
    }
    if (mode === 'list' && input.types === undefined) {
      throw new BadRequestException(['types is required when mode is "list" (an empty list ignores every type)']);
    }
    const types = mode === 'list' ? [...new Set(input.types)].sort() : [];

    const result = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK_KEY]);
      const repository = manager.getRepository(SubscriptionVersion);
      const before = await this.latest(repository);
      const version = before ? Number(before.version) : 0;
      if (input.expectedVersion !== undefined && input.expectedVersion !== version) {
        throw new ConflictException(
          `the subscription list is at version ${version}, not ${input.expectedVersion}: reload it and apply your change again`,
        );
      }
      const previousTypes = before?.mode === 'list' ? before.types : [];
      if (before && before.mode === mode && sameList(previousTypes, types)) return { row: before, changed: false };
      if (!before && mode === 'all') return { row: undefined, changed: false };
      const row = await repository.save(
        repository.create({
          mode,
          types,
          added: types.filter((type) => !previousTypes.includes(type)),
          removed: previousTypes.filter((type) => !types.includes(type)),
          changedBy,
          reason: input.reason ?? null,
        }),
      );
      return { row, changed: true };
    });

    if (result.changed && result.row) {
      this.policy.invalidate();
      const { row } = result;
      this.logger.log({
        version: Number(row.version),
        mode: row.mode,
        added: row.added,
        removed: row.removed,
        changedBy,
        msg: `subscription list changed to version ${row.version}`,
      });
    }
    return { ...this.describe(result.row), changed: result.changed };
  }

  async history(query: SubscriptionHistoryQueryDto): Promise<SubscriptionChangeDto[]> {
    const rows = await this.versions.find({
      where: query.beforeVersion ? { version: LessThan(String(query.beforeVersion)) } : {},
      order: { version: 'DESC' },
      take: query.limit ?? 50,
    });
    return rows.map((row) => ({
      version: Number(row.version),
      mode: row.mode,
      types: row.types,
      added: row.added,
      removed: row.removed,
      changedBy: row.changedBy,
      reason: row.reason,
      changedAt: row.changedAt.toISOString(),
    }));
  }

  private async latest(repository: Repository<SubscriptionVersion>): Promise<SubscriptionVersion | undefined> {
    const [row] = await repository.find({ order: { version: 'DESC' }, take: 1 });
    return row;
  }

  private describe(row: SubscriptionVersion | undefined): SubscriptionListDto {
    const mode = row?.mode ?? 'all';
    const listed = mode === 'list' ? row!.types : this.handledTypes();
    return {
      version: row ? Number(row.version) : 0,
      mode,
      types: listed.map((type) => ({ type, handlers: this.registry.handlersFor(type).map((handler) => handler.name) })),
      changedAt: row ? row.changedAt.toISOString() : null,
      changedBy: row?.changedBy ?? null,
      reason: row?.reason ?? null,
      effectiveWithinSeconds: SUBSCRIPTION_CACHE_TTL_MS / 1000,
    };
  }

  /** In mode `all`: what is processed is every type some handler names. */
  private handledTypes(): string[] {
    const types = new Set(this.registry.all().flatMap((handler) => handler.types));
    types.delete(ALL_EVENT_TYPES);
    return [...types].sort();
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((type, index) => type === b[index]);
}
