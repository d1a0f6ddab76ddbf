import { IsEmail, IsIn, IsInt, IsISO8601, IsNotEmpty, IsString, Matches, Min } from 'class-validator';

/** `data` of subscription_user_create. Amounts in minor units; unknown extra fields are accepted. */
export class SubscriptionCreatedData {
  @IsString() @IsNotEmpty() subscription_id: string;
  @IsString() @IsNotEmpty() user_id: string;
  @IsEmail() email: string;
  @IsString() @IsNotEmpty() plan_id: string;
  @IsString() plan_name: string;
  @IsInt() @Min(0) amount: number;
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a three-letter ISO 4217 code' }) currency: string;
  @IsIn(['month', 'year']) interval: 'month' | 'year';
  @IsString() @IsNotEmpty() status: string;
  @IsISO8601() current_period_start: string;
  @IsISO8601() current_period_end: string;
}
