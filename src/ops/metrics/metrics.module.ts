import { Module } from '@nestjs/common';
import { ProcessingModule } from '../../processing/processing.module.js';
import { InboxMetrics } from './inbox-metrics.js';
import { InboxStateCollector } from './inbox-state.collector.js';
import { MetricsController } from './metrics.controller.js';

/** GET /metrics: counters fed by the inbox's lifecycle events, gauges read from the shared state. */
@Module({
  imports: [ProcessingModule],
  controllers: [MetricsController],
  providers: [InboxMetrics, InboxStateCollector],
  exports: [InboxMetrics],
})
export class MetricsModule {}
