import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const DEPCRUISE = resolve('node_modules/.bin/depcruise');
const CONFIG = resolve('.dependency-cruiser.cjs');

/** Runs the project's layer rules (`npm run lint:deps`) over a small tree of files written for the case. */
async function cruise(files: Record<string, string>): Promise<{ code: number; output: string }> {
  const root = mkdtempSync(join(tmpdir(), 'layers-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    writeFileSync(
      join(root, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } }),
    );
    const result = await run(DEPCRUISE, ['src', '--config', CONFIG], { cwd: root }).then(
      ({ stdout }) => ({ code: 0, output: stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }),
    );
    return result;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('layer rules (dependency-cruiser)', () => {
  it('accept imports that point down the layers', async () => {
    const { code, output } = await cruise({
      'src/shared/time.ts': 'export const now = () => 1;\n',
      'src/inbox/store.ts': "import { now } from '../shared/time.js';\nexport const store = now;\n",
      'src/ingress/edge.ts': "import { store } from '../inbox/store.js';\nexport const edge = store;\n",
      'src/app/main.ts': "import { edge } from '../ingress/edge.js';\nexport const main = edge;\n",
    });
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  it('reject an upward import, naming the rule it breaks', async () => {
    const { code, output } = await cruise({
      'src/ingress/edge.ts': 'export const edge = 1;\n',
      'src/inbox/store.ts': "import { edge } from '../ingress/edge.js';\nexport const store = edge;\n",
    });
    expect(code).not.toBe(0);
    expect(output).toMatch(/error inbox-imports-only-below: src\/inbox\/store\.ts → src\/ingress\/edge\.ts/);
  });

  it('reject a sideways import between sibling layers', async () => {
    const { code, output } = await cruise({
      'src/processing/worker.ts': 'export const worker = 1;\n',
      'src/ingress/edge.ts': "import { worker } from '../processing/worker.js';\nexport const edge = worker;\n",
    });
    expect(code).not.toBe(0);
    expect(output).toContain('error ingress-imports-only-below: src/ingress/edge.ts → src/processing/worker.ts');
  });

  it('reject the example feature reaching past the public handler API', async () => {
    const { code, output } = await cruise({
      'src/processing/api/index.ts': 'export const OnWebhook = 1;\n',
      'src/processing/delivery/worker.ts': 'export const worker = 1;\n',
      'src/subscriptions/handler.ts':
        "import { OnWebhook } from '../processing/api/index.js';\nimport { worker } from '../processing/delivery/worker.js';\nexport const h = [OnWebhook, worker];\n",
    });
    expect(code).not.toBe(0);
    expect(output).toContain(
      'error example-feature-uses-public-handler-api-only: src/subscriptions/handler.ts → src/processing/delivery/worker.ts',
    );
    expect(output).not.toContain('src/subscriptions/handler.ts → src/processing/api/index.ts');
  });

  it('reject a runtime import cycle', async () => {
    const { code, output } = await cruise({
      'src/inbox/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'src/inbox/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
    });
    expect(code).not.toBe(0);
    expect(output).toContain('error no-circular');
  });
});
