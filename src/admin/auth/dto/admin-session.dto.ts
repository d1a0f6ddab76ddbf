import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** The login form's fields (also accepted as JSON). */
export class AdminLoginDto {
  @ApiProperty({ description: 'One of ADMIN_API_KEYS (the key part of a `name:key` entry).' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  key: string;

  @ApiPropertyOptional({
    example: '/admin/queues',
    description: 'Form logins: where to go next (an /admin or /docs path).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  next?: string;
}

export class AdminSessionDto {
  @ApiProperty({ example: 'ops', description: "The admin key's name." })
  name: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
}
