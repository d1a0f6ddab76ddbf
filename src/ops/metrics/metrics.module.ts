import { Global, Module } from '@nestjs/common';
import { HandlersModule } from '../../processing/processing.module.js';
import { InboxMetrics } from './inbox-metrics.js';
import { InboxStateCollector } from './inbox-state.collector.js';
import { MetricsController } from './metrics.controller.js';

/**
 * GET /metrics. Global so that the ingestion controller and the delivery processor can record
 * into InboxMetrics (they take it as @Optional(): the inbox also works without this module).
 */
@Global()
@Module({
  imports: [HandlersModule],
  controllers: [MetricsController],
  providers: [InboxMetrics, InboxStateCollector],
  exports: [InboxMetrics],
})
export class MetricsModule {}
