// npm run handler:new -- <event_type> [--feature <folder>]
//
// Writes a handler of one event type, its DTO, its catalog entry and a spec that runs it through
// the testing module, in src/<folder>/ (default: the type's first word), in the project's style.
// Refuses to overwrite anything: an existing file, or a type the folder's catalog already has.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import prettier from 'prettier';
import { EVENT_TYPE_PATTERN } from '../src/shared/event-type.js';

/** Folders of the service itself: a feature never goes there. */
const CORE_FOLDERS = new Set([
  'shared',
  'database',
  'inbox',
  'ingress',
  'processing',
  'admin',
  'ops',
  'app',
  'testing',
]);
const FEATURE_PATTERN = /^[a-z][a-z0-9-]*$/;

const words = (text: string) => text.split(/[^A-Za-z0-9]+/).filter(Boolean);
const pascal = (text: string) =>
  words(text)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
const kebab = (text: string) =>
  words(text)
    .map((word) => word.toLowerCase())
    .join('-');

export interface GeneratorOptions {
  /** The project's root (where src/ is). */
  root: string;
  type: string;
  feature?: string;
}

export interface GeneratorResult {
  written: string[];
  changed: string[];
  /** What the author still has to do by hand. */
  next: string[];
}

export class GeneratorRefusal extends Error {}

export async function generateHandler({ root, type, feature: featureArg }: GeneratorOptions): Promise<GeneratorResult> {
  if (!EVENT_TYPE_PATTERN.test(type) || words(type).length === 0) {
    throw new GeneratorRefusal(`"${type}" is not an event type (letters, digits, "_", ".", ":", "/", "-")`);
  }
  const feature = featureArg ?? kebab(words(type)[0]);
  if (!FEATURE_PATTERN.test(feature) || CORE_FOLDERS.has(feature)) {
    throw new GeneratorRefusal(
      `"${feature}" cannot be a feature folder (lowercase letters, digits and "-", not one of ${[...CORE_FOLDERS].join(', ')})`,
    );
  }
  const dir = join(root, 'src', feature);
  const name = pascal(type);
  const files = {
    dto: join(dir, 'dto', `${kebab(type)}.data.ts`),
    handler: join(dir, 'handlers', `${kebab(type)}.handler.ts`),
    spec: join(dir, 'handlers', `${kebab(type)}.handler.spec.ts`),
  };
  const existing = Object.values(files).filter((file) => existsSync(file));
  if (existing.length > 0) {
    throw new GeneratorRefusal(`not overwriting ${existing.map((file) => relative(root, file)).join(', ')}`);
  }

  const catalog = findFile(dir, '-events.ts', 'defineWebhookEvents(');
  const module = findFile(dir, '.module.ts', '@Module(');
  if (catalog && new RegExp(`['"]${escape(type)}['"]\\s*:`).test(readFileSync(catalog, 'utf8'))) {
    throw new GeneratorRefusal(`${relative(root, catalog)} already catalogues ${type}`);
  }
  const moduleName = module ? exportedClass(module, 'Module') : `${pascal(feature)}Module`;
  const moduleFile = module ?? join(dir, `${feature}.module.ts`);
  const catalogFile = catalog ?? join(dir, `${feature}-events.ts`);
  const catalogName = catalog ? exportedConst(catalog, 'defineWebhookEvents(') : `${pascal(feature)}Events`;
  const dtoClass = `${name}Data`;
  const handlerClass = `${name}Handler`;
  const quotedType = `'${type}'`;

  const result: GeneratorResult = { written: [], changed: [], next: [] };
  const write = async (file: string, content: string, list: string[]) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, await format(file, content));
    list.push(relative(root, file));
  };

  await write(
    files.dto,
    `import { IsNotEmpty, IsString } from 'class-validator';

/**
 * \`data\` of ${type}, as the provider sends it. Every field the handler reads is declared here
 * with class-validator rules: an event that breaks one is refused before the handler runs (its
 * delivery is dead at once, nothing retried). Fields not declared here are kept, unchecked.
 */
export class ${dtoClass} {
  @IsString() @IsNotEmpty() id: string;
}
`,
    result.written,
  );

  await write(
    files.handler,
    `import { Injectable } from '@nestjs/common';
import { OnWebhook, WebhookEvent, WebhookHandler, WebhookHandlerContext } from '../../processing/api/index.js';

/** ${type} → (what it changes in this application). */
@Injectable()
@OnWebhook(${quotedType}, { transactional: true })
export class ${handlerClass} implements WebhookHandler<${quotedType}> {
  // Write the effect through \`context.manager\`: it commits in the same transaction that marks the
  // delivery succeeded, so exactly once. Keep it idempotent all the same (an operator's replay
  // runs it again): key what you write by the provider's ids, as the example feature does.
  handle(event: WebhookEvent<${quotedType}>, { logger }: WebhookHandlerContext): void {
    logger.debug(\`${type} \${event.data.id}\`);
  }
}
`,
    result.written,
  );

  await write(
    files.spec,
    `import { WebhookInboxTestingModule, type WebhookInboxTesting } from '../../testing/index.js';
import { ${moduleName} } from '../${basename(moduleFile)}';
import { ${handlerClass} } from './${kebab(type)}.handler.js';

describe('${handlerClass} (testing module: a database of its own, no Redis)', () => {
  let inbox: WebhookInboxTesting;

  beforeAll(async () => {
    inbox = await WebhookInboxTestingModule.create({ imports: [${moduleName}], database: true });
  });
  afterAll(() => inbox.close());

  // \`data\` as the provider sends it; the testing module checks it against ${dtoClass}.
  const event = () => inbox.event(${quotedType}, { id: 'replace-with-a-real-example' });

  it('succeeds on a valid event', async () => {
    expect((await inbox.deliver(${handlerClass}, event())).outcome).toBe('succeeded');
  });

  it('changes nothing when the same event is delivered again', async () => {
    await inbox.deliverTwice(${handlerClass}, event());
  });
});
`,
    result.written,
  );

  const dtoImport = `import { ${dtoClass} } from './dto/${kebab(type)}.data.js';\n`;
  if (catalog) {
    const source = readFileSync(catalog, 'utf8');
    const opening = /defineWebhookEvents\(\{\n?/.exec(source)!;
    const at = opening.index + opening[0].length;
    const updated = addImport(source.slice(0, at) + `  ${quotedType}: ${dtoClass},\n` + source.slice(at), dtoImport);
    await write(catalog, updated, result.changed);
  } else {
    await write(
      catalogFile,
      `import { defineWebhookEvents, type CatalogEntries } from '../processing/api/index.js';
${dtoImport}
/** The event types this feature handles, each with the DTO that validates its \`data\`. */
export const ${catalogName} = defineWebhookEvents({
  ${quotedType}: ${dtoClass},
});

// Tells the compiler about the catalog: @OnWebhook refuses other type names, and
// WebhookEvent<${quotedType}> has ${dtoClass} as its data.
declare module '../processing/api/index.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface WebhookEventTypes extends CatalogEntries<typeof ${catalogName}> {}
}
`,
      result.written,
    );
  }

  const handlerImport = `import { ${handlerClass} } from './handlers/${kebab(type)}.handler.js';\n`;
  if (module) {
    const source = readFileSync(module, 'utf8');
    const providers = /providers:\s*\[\n?/.exec(source);
    if (!providers) {
      result.next.push(`add ${handlerClass} to the providers of ${moduleName} (${relative(root, module)})`);
    } else {
      const at = providers.index + providers[0].length;
      await write(
        module,
        addImport(source.slice(0, at) + `${handlerClass},\n` + source.slice(at), handlerImport),
        result.changed,
      );
    }
    if (!catalog) {
      result.next.push(
        `register the new catalog: import WebhookCatalogModule.forFeature(${catalogName}) in ${moduleName} (${relative(root, module)})`,
      );
    }
  } else {
    await write(
      moduleFile,
      `import { Module } from '@nestjs/common';
import { WebhookCatalogModule } from '../processing/api/index.js';
import { ${catalogName} } from './${basename(catalogFile)}';
${handlerImport}
/** The ${feature} feature: its event catalog and its handlers. */
@Module({
  imports: [WebhookCatalogModule.forFeature(${catalogName})],
  providers: [${handlerClass}],
})
export class ${moduleName} {}
`,
      result.written,
    );
    result.next.push(`import ${moduleName} in AppModule (src/app/app.module.ts), next to SubscriptionsModule`);
  }
  return result;
}

const basename = (file: string) => file.slice(file.lastIndexOf('/') + 1).replace(/\.ts$/, '.js');
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function findFile(dir: string, suffix: string, marker: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const found = readdirSync(dir)
    .filter((file) => file.endsWith(suffix) && !file.endsWith('.spec.ts'))
    .map((file) => join(dir, file))
    .filter((file) => readFileSync(file, 'utf8').includes(marker));
  return found[0];
}

function exportedClass(file: string, suffix: string): string {
  const match = new RegExp(`export class (\\w+${suffix})\\b`).exec(readFileSync(file, 'utf8'));
  if (!match) throw new GeneratorRefusal(`no exported class ending in ${suffix} in ${file}`);
  return match[1];
}

function exportedConst(file: string, marker: string): string {
  const match = new RegExp(`export const (\\w+) = ${escape(marker)}`).exec(readFileSync(file, 'utf8'));
  if (!match) throw new GeneratorRefusal(`no exported catalog (export const X = defineWebhookEvents(...)) in ${file}`);
  return match[1];
}

/** Adds an import after the last one. */
function addImport(source: string, line: string): string {
  const imports = [...source.matchAll(/^import [\s\S]*?;\n/gm)];
  const at = imports.length ? imports[imports.length - 1].index + imports[imports.length - 1][0].length : 0;
  return source.slice(0, at) + line + source.slice(at);
}

async function format(file: string, content: string): Promise<string> {
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(content, { ...config, filepath: file });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { feature: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help || positionals.length !== 1) {
    console.log('usage: npm run handler:new -- <event_type> [--feature <folder under src/>]');
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  try {
    const result = await generateHandler({ root: process.cwd(), type: positionals[0], feature: values.feature });
    for (const file of result.written) console.log(`  wrote   ${file}`);
    for (const file of result.changed) console.log(`  changed ${file}`);
    for (const step of result.next) console.log(`  next: ${step}`);
    console.log('  then: fill in the DTO and the handler, and run its spec with `npm run test:unit`');
  } catch (error) {
    if (!(error instanceof GeneratorRefusal)) throw error;
    console.error(`handler:new: ${error.message}; nothing written`);
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
