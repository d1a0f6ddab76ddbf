import { Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../../app/config/app-config.js';

/**
 * Structured JSON logs (pino), pretty-printed in development. POST /webhooks is left out of the
 * per-request logger: at thousands of requests a second a child logger per request is pure cost,
 * and refusals are logged by the exception filter anyway.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        exclude: [{ method: RequestMethod.POST, path: 'webhooks' }],
        pinoHttp: {
          level: config.LOG_LEVEL,
          autoLogging: false,
          redact: ['req.headers.authorization', 'req.headers["webhook-signature"]'],
          transport:
            config.NODE_ENV === 'development' ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
        },
      }),
    }),
  ],
})
export class LoggingModule {}
