import { Module, RequestMethod } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';

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
