import type { RawBodyRequest } from '@nestjs/common';
import { RouteConfig, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** This route gets its `application/json` body as the raw bytes, unparsed (see RawJsonBody). */
    webhookInboxRawJsonBody?: boolean;
  }
  interface FastifyRequest {
    /** On a RawJsonBody route, once parsed: the body decoded as UTF-8 text (what the event stores). */
    rawBodyText?: string;
    /** On a source's route, once read: the event type (it may come from a header), for the metrics. */
    webhookEventType?: string;
  }
}

type JsonParser = (request: unknown, body: Buffer, done: (error: Error | null, body?: unknown) => void) => void;

/**
 * Marks a route whose JSON body must not be parsed before its guards run: `request.body` stays the
 * Buffer received, and the route parses it itself once the signature over those bytes is checked
 * (see VerifiedBodyInterceptor). Needs the parser installed by useWebhookBodyParser.
 */
export const RawJsonBody = (): MethodDecorator => RouteConfig({ webhookInboxRawJsonBody: true });

/**
 * Installs the app's one `application/json` parser (before the app is initialised, so Nest does not
 * add its own): on routes marked RawJsonBody it hands the bytes on as they are; on every other
 * route it is Fastify's default JSON parser (prototype poisoning refused), as before. The body
 * limit is checked while reading, for both (413). With Nest's `rawBody: true` the bytes are also
 * on `request.rawBody`; without it rawBodyOf finds them on `request.body`.
 *
 * An app that mounts WebhookInboxModule calls this once, right after NestFactory.create.
 */
export function useWebhookBodyParser(app: NestFastifyApplication, bodyLimit?: number): void {
  const fastify = app.getHttpAdapter().getInstance();
  const { onProtoPoisoning = 'error', onConstructorPoisoning = 'error' } = fastify.initialConfig;
  // Made once: Nest's default parser builds Fastify's on every request.
  const parseJson = fastify.getDefaultJsonParser(onProtoPoisoning, onConstructorPoisoning) as unknown as JsonParser;
  // Declared up front, so that setting it does not change the shape of every request object.
  if (!fastify.hasRequestDecorator('rawBodyText')) fastify.decorateRequest('rawBodyText', undefined);
  if (!fastify.hasRequestDecorator('webhookEventType')) fastify.decorateRequest('webhookEventType', undefined);
  app.useBodyParser(
    'application/json',
    { bodyLimit: bodyLimit ?? fastify.initialConfig.bodyLimit },
    (request, body, done) => {
      if (request.routeOptions.config?.webhookInboxRawJsonBody === true) done(null, body);
      else parseJson(request, body, done);
    },
  );
}

const NO_BYTES = Buffer.alloc(0);

/** The bytes of the request body exactly as received (empty when there was none). */
export function rawBodyOf(request: RawBodyRequest<FastifyRequest>): Buffer {
  if (request.rawBody) return request.rawBody;
  return Buffer.isBuffer(request.body) ? request.body : NO_BYTES;
}
