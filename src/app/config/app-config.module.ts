import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig, loadConfig } from './app-config.js';

/**
 * Reads the environment the way Nest users expect (@nestjs/config: a `.env` file in the working
 * directory fills in what the environment does not set) and validates it with AppConfig's
 * class-validator schema through the `validate` hook. Returns the validated settings.
 */
export async function readAppConfig(envFilePath = '.env'): Promise<AppConfig> {
  let validated: AppConfig | undefined;
  await ConfigModule.forRoot({ envFilePath, validate: (env) => (validated = loadConfig(env)) });
  return validated!;
}

/**
 * Provides the validated settings everywhere: as the AppConfig class (typed) and through
 * @nestjs/config's ConfigService. The settings are read once, by main.ts (readAppConfig) or by the
 * test or benchmark that builds the app, and passed in here.
 */
@Module({})
export class AppConfigModule {
  static async forRoot(config: AppConfig): Promise<DynamicModule> {
    const nestConfig = await ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      ignoreEnvFile: true,
      ignoreEnvVars: true,
      validate: () => config,
    });
    return {
      module: AppConfigModule,
      global: true,
      imports: [nestConfig],
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig],
    };
  }
}
