import { DynamicModule, Module } from '@nestjs/common';
import type { WebhookEventCatalog } from './webhook-catalog.js';

/**
 * Registers catalogs with the inbox, the way TypeOrmModule.forFeature registers entities: import
 * `WebhookCatalogModule.forFeature(MyEvents)` in the module of the handlers. The registry finds
 * every registered catalog at boot, merges those of one source, and checks the handlers against it.
 */
@Module({})
export class WebhookCatalogModule {
  static forFeature(...catalogs: WebhookEventCatalog[]): DynamicModule {
    return {
      module: WebhookCatalogModule,
      providers: catalogs.map((catalog, i) => ({
        provide: Symbol(`webhook-catalog:${catalog.source}:${i}`),
        useValue: catalog,
      })),
    };
  }
}
