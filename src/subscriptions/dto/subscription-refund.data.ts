import { IsInt, IsISO8601, IsNotEmpty, IsString, Matches, Min } from 'class-validator';

/** `data` of subscription_event_refund. */
export class SubscriptionRefundData {
  @IsString() @IsNotEmpty() subscription_id: string;
  @IsString() @IsNotEmpty() user_id: string;
  @IsString() @IsNotEmpty() refund_id: string;
  @IsString() @IsNotEmpty() payment_id: string;
  @IsInt() @Min(0) amount: number;
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a three-letter ISO 4217 code' }) currency: string;
  @IsString() reason: string;
  @IsISO8601() refunded_at: string;
}
