import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTestApp, type TestApp } from '../support/test-app.js';

const PROMETHEUS_DIR = resolve('ops/prometheus');
const DASHBOARD = resolve('ops/grafana/dashboards/webhook-inbox.json');

const installed = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/**
 * A test that needs a system command. CI installs it (.ci/run), so there (CI=true) a missing one
 * fails the test, naming the Debian package; elsewhere the test is skipped with a warning.
 */
function itWith(command: string, debianPackage: string): jest.It {
  if (installed(command) || process.env.CI === 'true') return it;
  console.warn(`SKIPPED the ${command} checks: apt-get install -y ${debianPackage} (.ci/run installs it).`);
  return it.skip;
}

/** Runs a system command; a missing one fails saying which Debian package to install. */
function run(command: string, args: string[], debianPackage: string, cwd = process.cwd()): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`${command} is missing: install Debian's ${debianPackage} package (.ci/run does)`);
  }
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout + result.stderr;
}

/** Every metric name a PromQL expression reads, histogram series reduced to their metric. */
function metricsIn(expression: string): string[] {
  return [...expression.matchAll(/\b((?:webhook_inbox|nodejs|process)_[a-z0-9_]+)/g)].map(([, name]) => name);
}

describe('Prometheus rules, Grafana dashboard and compose file', () => {
  itWith('promtool', 'prometheus')(
    'promtool accepts the rules, and they fire on the series they are written for',
    () => {
      expect(run('promtool', ['check', 'rules', 'alerts.yml'], 'prometheus', PROMETHEUS_DIR)).toMatch(
        /SUCCESS: \d+ rules found/,
      );
      expect(run('promtool', ['test', 'rules', 'alerts.test.yml'], 'prometheus', PROMETHEUS_DIR)).toMatch(/SUCCESS/);
    },
  );

  itWith('promtool', 'prometheus')("promtool accepts the compose profile's Prometheus configuration", () => {
    // As mounted in the container: the key file next to the configuration.
    const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
    try {
      for (const file of ['prometheus.yml', 'alerts.yml']) copyFileSync(join(PROMETHEUS_DIR, file), join(dir, file));
      writeFileSync(join(dir, 'webhook-inbox-key'), '');
      expect(run('promtool', ['check', 'config', 'prometheus.yml'], 'prometheus', dir)).toMatch(
        /is valid prometheus config/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  itWith('docker-compose', 'docker-compose')(
    'docker-compose validates the file, with and without the observability profile',
    () => {
      run('docker-compose', ['config', '-q'], 'docker-compose');
      run('docker-compose', ['--profile', 'observability', 'config', '-q'], 'docker-compose');
      const services = run('docker-compose', ['--profile', 'observability', 'config', '--services'], 'docker-compose');
      expect(services.split('\n')).toEqual(expect.arrayContaining(['prometheus', 'grafana']));
    },
  );

  describe('the metrics they read are the ones the service exports', () => {
    let t: TestApp;
    let exported: Set<string>;

    beforeAll(async () => {
      // Alerts on, so that their metric is registered; nothing here makes one fire.
      t = await startTestApp({
        env: {
          ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/unused',
          ALERT_FORMAT: 'slack',
          ALERT_BACKLOG_STALE_AFTER: '1d',
        },
      });
      const text = await (await fetch(`${t.url}/metrics`)).text();
      exported = new Set();
      for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        exported.add(name);
        if (type === 'histogram' || type === 'summary')
          for (const part of ['_bucket', '_count', '_sum']) exported.add(name + part);
      }
    });
    afterAll(async () => t?.close());

    it('in the alert rules', () => {
      const rules = readFileSync(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8');
      const expressions = [...rules.matchAll(/^\s+expr: (\|\n(?:\s{10,}\S.*\n)+|.*)/gm)].map(([, expr]) => expr);
      expect(expressions.length).toBeGreaterThanOrEqual(10);
      const used = expressions.flatMap(metricsIn);
      expect(used.filter((name) => !exported.has(name))).toEqual([]);
    });

    it('in every dashboard panel', () => {
      const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
      const panels = dashboard.panels.filter((panel: any) => panel.type !== 'row');
      expect(panels.length).toBeGreaterThanOrEqual(12);
      for (const panel of panels) {
        expect(panel.targets.length).toBeGreaterThan(0);
        const used = panel.targets.flatMap((target: any) => metricsIn(target.expr));
        expect({ panel: panel.title, missing: used.filter((name: string) => !exported.has(name)) }).toEqual({
          panel: panel.title,
          missing: [],
        });
      }
    });
  });
});
