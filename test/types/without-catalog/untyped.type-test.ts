/**
 * Without a catalog, handlers are as untyped as before catalogs existed: any type name compiles,
 * and `WebhookEvent<Shape>` is whatever shape the handler declares. Compiled alone (its own
 * tsconfig), so that no catalog declared elsewhere applies; never executed.
 */
import { Injectable } from '@nestjs/common';
import { OnWebhook, type WebhookEvent, type WebhookHandler } from '../../../src/processing/api/index.js';

interface OrderData {
  order_id: string;
  total: number;
}

@Injectable()
@OnWebhook('order.placed', { attempts: 3 })
export class OrderPlaced implements WebhookHandler<OrderData> {
  handle(event: WebhookEvent<OrderData>): void {
    const total: number = event.data.total;
    void total;
  }
}

@Injectable()
@OnWebhook(['anything.at_all', 'another.one'])
export class Untyped implements WebhookHandler {
  handle(event: WebhookEvent): void {
    void event.data['whatever'];
  }
}

@Injectable()
@OnWebhook('invoice.paid', { source: 'stripe' })
export class FromStripe {
  handle(event: WebhookEvent): void {
    void event.type;
  }
}
