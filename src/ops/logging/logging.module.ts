import { Module, RequestMethod } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { trace } from '@opentelemetry/api';
import { LoggerModule } from 'nestjs-pino';
import { tracingEnabled } from '../../shared/tracing.js';

/** A line written while a span is active carries its ids, so logs and traces join on trace_id. */
function traceIds(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/**
 * Structured JSON logs (pino), pretty-printed in development. POST /webhooks is left out of the
 * per-request logger: at thousands of requests a second a child logger per request is pure cost,
 * and refusals are logged by the exception filter anyway. Reads LOG_LEVEL and NODE_ENV from
 * @nestjs/config.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        exclude: [{ method: RequestMethod.POST, path: 'webhooks' }],
        pinoHttp: {
          level: config.get<string>('LOG_LEVEL', 'info'),
          autoLogging: false,
          // Only with tracing on: otherwise no line pays for the lookup.
          mixin: tracingEnabled() ? traceIds : undefined,
          redact: ['req.headers.authorization', 'req.headers["webhook-signature"]'],
          transport:
            config.get<string>('NODE_ENV') === 'development'
              ? { target: 'pino-pretty', options: { singleLine: true } }
              : undefined,
        },
      }),
    }),
  ],
})
export class LoggingModule {}
