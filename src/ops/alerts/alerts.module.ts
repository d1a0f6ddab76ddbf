import { DynamicModule, Module } from '@nestjs/common';
import { InboxModule } from '../../inbox/inbox.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { AlertNotifier } from './alert-notifier.js';
import { ALERT_OPTIONS, type AlertOptions } from './alert-options.js';
import { AlertStore } from './alert.store.js';
import { AlertsService } from './alerts.service.js';

/** Operational alerts to ALERT_WEBHOOK_URL; the app imports it only when that is set. */
@Module({})
export class AlertsModule {
  static forRoot(options: AlertOptions): DynamicModule {
    return {
      module: AlertsModule,
      imports: [InboxModule, MetricsModule],
      providers: [{ provide: ALERT_OPTIONS, useValue: options }, AlertStore, AlertNotifier, AlertsService],
      exports: [AlertsService],
    };
  }
}
