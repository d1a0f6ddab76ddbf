import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export const ADMIN_BEARER = 'admin-key';

/** Swagger UI at /docs, the OpenAPI document at /docs-json. */
export function setupSwagger(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('webhook-inbox')
    .setDescription(
      "Receives the provider's webhooks (POST /webhooks), commits each to Postgres before answering, " +
        'and runs @OnWebhook handlers over BullMQ. The /admin routes are for operators.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'One of ADMIN_API_KEYS' }, ADMIN_BEARER)
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
