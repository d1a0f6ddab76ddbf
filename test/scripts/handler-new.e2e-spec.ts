import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GeneratorRefusal, generateHandler } from '../../scripts/handler-new.js';

const ROOT = resolve(import.meta.dirname, '../..');
const bin = (name: string) => join(ROOT, 'node_modules/.bin', name);

/** Runs a tool of the project in the copy; its output when it fails, so the assertion says why. */
function run(copy: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(command, args, { cwd: copy, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

/**
 * `npm run handler:new` in a copy of the project (src, migrations, configs; node_modules linked):
 * a handler for a new feature and one for the example feature, then the project's own compiler,
 * linter, formatter and test runner over the result, and a second run that must refuse.
 */
describe('npm run handler:new', () => {
  let copy: string;

  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'handler-new-'));
    for (const entry of ['src', 'migrations', 'scripts', 'test/support'])
      cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
    for (const file of [
      'package.json',
      'tsconfig.json',
      'eslint.config.js',
      '.prettierrc.json',
      '.prettierignore',
      '.swcrc',
      'jest.config.js',
      '.dependency-cruiser.cjs',
    ]) {
      cpSync(join(ROOT, file), join(copy, file));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  let generated: string[] = [];

  it('writes handler, DTO, catalog entry, module and spec for a new feature, and adds to an existing one', async () => {
    const payments = await generateHandler({ root: copy, type: 'payment.created', feature: 'payments' });
    expect(payments.written.sort()).toEqual([
      'src/payments/dto/payment-created.data.ts',
      'src/payments/handlers/payment-created.handler.spec.ts',
      'src/payments/handlers/payment-created.handler.ts',
      'src/payments/payments-events.ts',
      'src/payments/payments.module.ts',
    ]);
    expect(payments.next).toEqual([expect.stringContaining('import PaymentsModule in AppModule')]);

    const renewal = await generateHandler({ root: copy, type: 'subscription_renewed', feature: 'subscriptions' });
    expect(renewal.changed.sort()).toEqual([
      'src/subscriptions/subscription-events.ts',
      'src/subscriptions/subscriptions.module.ts',
    ]);
    expect(readFileSync(join(copy, 'src/subscriptions/subscription-events.ts'), 'utf8')).toContain(
      'subscription_renewed: SubscriptionRenewedData,',
    );
    expect(readFileSync(join(copy, 'src/subscriptions/subscriptions.module.ts'), 'utf8')).toMatch(
      /providers: \[\s*SubscriptionRenewedHandler,/,
    );
    generated = [...payments.written, ...renewal.written, ...renewal.changed];
  });

  it('refuses to overwrite, and writes nothing', async () => {
    const before = generated.map((file) => readFileSync(join(copy, file), 'utf8'));
    await expect(generateHandler({ root: copy, type: 'payment.created', feature: 'payments' })).rejects.toThrow(
      GeneratorRefusal,
    );
    await expect(generateHandler({ root: copy, type: 'payment.created', feature: 'payments' })).rejects.toThrow(
      /not overwriting src\/payments\/dto\/payment-created.data.ts/,
    );
    await expect(generateHandler({ root: copy, type: 'not a type!' })).rejects.toThrow(/is not an event type/);
    await expect(generateHandler({ root: copy, type: 'x.y', feature: 'processing' })).rejects.toThrow(
      /cannot be a feature folder/,
    );
    // The CLI says so and exits 1.
    const cli = run(copy, process.execPath, [
      join(ROOT, 'dist/scripts/handler-new.js'),
      'payment.created',
      '--feature',
      'payments',
    ]);
    expect(cli.status).toBe(1);
    expect(cli.output).toContain('nothing written');
    expect(generated.map((file) => readFileSync(join(copy, file), 'utf8'))).toEqual(before);
  });

  it('compiles with the rest of the project', () => {
    const tsc = run(copy, bin('tsc'), ['--noEmit', '-p', 'tsconfig.json', '--incremental', 'false']);
    expect(tsc.output.trim()).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('passes lint and the formatter', () => {
    const files = generated.map((file) => join(copy, file));
    const eslint = run(copy, bin('eslint'), ['--max-warnings=0', ...files]);
    expect(eslint.output.trim()).toBe('');
    expect(eslint.status).toBe(0);
    const prettier = run(copy, bin('prettier'), ['--check', ...files]);
    expect(prettier.status).toBe(0);
    const layers = run(copy, bin('depcruise'), ['src', '--config', '.dependency-cruiser.cjs']);
    expect(layers.output).toContain('no dependency violations found');
  });

  it('passes its generated specs (the testing module, a database of their own, no Redis)', () => {
    const jest = run(
      copy,
      bin('jest'),
      ['--selectProjects', 'unit', '--runInBand', 'src/payments', 'src/subscriptions/handlers/subscription-renewed'],
      { NODE_OPTIONS: '--experimental-vm-modules --no-warnings=ExperimentalWarning' },
    );
    expect(jest.output).toMatch(/Tests:\s+4 passed, 4 total/);
    expect(jest.status).toBe(0);
  });
});
