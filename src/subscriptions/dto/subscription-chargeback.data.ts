import { IsInt, IsISO8601, IsNotEmpty, IsString, Matches, Min } from 'class-validator';

/** `data` of subscription_manual_chargeback. */
export class SubscriptionChargebackData {
  @IsString() @IsNotEmpty() subscription_id: string;
  @IsString() @IsNotEmpty() user_id: string;
  @IsString() @IsNotEmpty() chargeback_id: string;
  @IsString() @IsNotEmpty() payment_id: string;
  @IsInt() @Min(0) amount: number;
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a three-letter ISO 4217 code' }) currency: string;
  @IsString() reason: string;
  @IsString() reason_code: string;
  @IsISO8601() disputed_at: string;
}
