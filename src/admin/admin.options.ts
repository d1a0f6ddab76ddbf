import { ConfigurableModuleBuilder } from '@nestjs/common';
import { resolveAdminAccess, type AdminAccess } from './auth/admin-keys.js';

/** What `AdminModule.forRoot` / `forRootAsync` take. */
export interface AdminModuleOptions {
  /** ADMIN_API_KEYS: space-separated `name:key` entries or bare keys. */
  apiKeys?: string;
  /** Production: no keys means the admin is closed; the test webhook sends only the inbox's own type. */
  production: boolean;
  /** How long a browser session lasts. Default 60 minutes. */
  sessionMinutes?: number;
  /** Purge refuses a `before` later than now minus this. Default 24 h. */
  purgeMinAgeMs?: number;
  /** In production, event types the test webhook may send besides the inbox's own test type. */
  testWebhookTypes?: string[];
}

export interface AdminOptions extends Required<Omit<AdminModuleOptions, 'apiKeys'>> {
  access: AdminAccess;
}

export const {
  ConfigurableModuleClass: ConfigurableAdminModule,
  MODULE_OPTIONS_TOKEN: ADMIN_MODULE_OPTIONS,
  OPTIONS_TYPE: ADMIN_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: ADMIN_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AdminModuleOptions>()
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createAdminOptions')
  .build();

/** Injection token of the resolved AdminOptions (keys turned into digests once, at boot). */
export const ADMIN_OPTIONS = Symbol('ADMIN_OPTIONS');

export const DAY_MS = 24 * 60 * 60 * 1000;

export function resolveAdminOptions(options: AdminModuleOptions): AdminOptions {
  return {
    production: options.production,
    access: resolveAdminAccess({
      ADMIN_API_KEYS: options.apiKeys,
      NODE_ENV: options.production ? 'production' : 'development',
    }),
    sessionMinutes: options.sessionMinutes ?? 60,
    purgeMinAgeMs: options.purgeMinAgeMs ?? DAY_MS,
    testWebhookTypes: options.testWebhookTypes ?? [],
  };
}
