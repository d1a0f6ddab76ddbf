import { Module } from '@nestjs/common';
import { RetentionService } from './retention.service.js';

/** The schedule that keeps the inbox from growing forever (RETENTION_DAYS). */
@Module({
  providers: [RetentionService],
  exports: [RetentionService],
})
export class RetentionModule {}
