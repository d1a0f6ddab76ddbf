import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ADMIN_SESSION_COOKIE } from './auth/admin-session.js';

export const ADMIN_BEARER = 'admin-key';
/** The browser session set by POST /admin/session (see /admin/login). */
export const ADMIN_SESSION = 'admin-session';

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
    .addCookieAuth(
      ADMIN_SESSION_COOKIE,
      {
        type: 'apiKey',
        in: 'cookie',
        description:
          'Browsers: log in at /admin/login; Swagger UI then sends the cookie by itself. Changes need a same-site Origin.',
      },
      ADMIN_SESSION,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
