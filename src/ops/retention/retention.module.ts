import { Module } from '@nestjs/common';
import { InboxModule } from '../../inbox/inbox.module.js';
import { RetentionService } from './retention.service.js';

/** The schedule that keeps the inbox from growing forever (RETENTION_DAYS). */
@Module({
  imports: [InboxModule],
  providers: [RetentionService],
})
export class RetentionModule {}
