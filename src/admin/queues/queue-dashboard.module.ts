import { errorHandler as bullBoardErrorHandler } from '@bull-board/api/dist/handlers/error.js';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import {
  BULL_BOARD_ADAPTER,
  BullBoardModule,
  InjectBullBoard,
  type BullBoardInstance,
  type BullBoardServerAdapter,
} from '@bull-board/nestjs';
import { HttpException, Inject, Injectable, Module, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { ProcessingModule } from '../../processing/processing.module.js';
import { InboxQueues } from '../../inbox/inbox-queues.js';
import { WebhookHandlerRegistry } from '../../processing/discovery/webhook-handler.registry.js';

export const QUEUE_DASHBOARD_ROUTE = '/admin/queues';

/**
 * The handler queues are named after the handlers discovered at boot, so they cannot be listed
 * statically with BullBoardModule.forFeature: they are added here once the registry is filled.
 */
@Injectable()
class QueueDashboardQueues implements OnModuleInit, OnApplicationBootstrap {
  constructor(
    @InjectBullBoard() private readonly board: BullBoardInstance,
    @Inject(BULL_BOARD_ADAPTER) private readonly adapter: BullBoardServerAdapter,
    private readonly queues: InboxQueues,
    private readonly registry: WebhookHandlerRegistry,
  ) {}

  /**
   * The dashboard's routes live in a Fastify plugin with its own error handler, which answers 500
   * to any error without a `statusCode`, the admin hook's 401/503 refusals included. Nest's
   * HTTP errors keep their status and body here, as on every other admin route. Set before the
   * plugin is loaded (at listen), which reads it then.
   */
  onModuleInit(): void {
    this.adapter.setErrorHandler((error: Error) =>
      error instanceof HttpException
        ? { status: error.getStatus() as never, body: error.getResponse() as Record<string, unknown> }
        : bullBoardErrorHandler(error),
    );
  }

  onApplicationBootstrap(): void {
    const queues = [
      this.queues.dispatchQueue,
      ...this.registry.all().map((handler) => this.queues.queueFor(handler.name)),
    ];
    this.board.replaceQueues(queues.map((queue) => new BullMQAdapter(queue, { description: describe(queue.name) })));
  }
}

function describe(name: string): string {
  return name.startsWith('webhook-handler-')
    ? `Deliveries of ${name.slice('webhook-handler-'.length)}; jobs carry event ids, the history is in Postgres.`
    : 'Freshly committed events waiting to be planned into deliveries.';
}

/**
 * Bull Board at /admin/queues: under /admin, so the admin authentication hook covers it like every
 * other admin route. forRootAsync builds the board per application (tests boot several in one process).
 */
@Module({
  imports: [
    BullBoardModule.forRootAsync({
      useFactory: () => ({
        route: QUEUE_DASHBOARD_ROUTE,
        // @bull-board/fastify pins its own copy of @bull-board/api: the same classes, different declarations.
        adapter: FastifyAdapter as unknown as new () => BullBoardServerAdapter,
        boardOptions: { uiConfig: { boardTitle: 'webhook-inbox queues', hideDocsLink: true } },
      }),
    }),
    ProcessingModule,
  ],
  providers: [QueueDashboardQueues],
})
export class QueueDashboardModule {}
