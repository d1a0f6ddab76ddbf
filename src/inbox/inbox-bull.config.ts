/** The @nestjs/bullmq configuration key of the inbox, so a host app's own BullModule.forRoot stays its own. */
export const INBOX_BULL_CONFIG = 'webhook-inbox';
