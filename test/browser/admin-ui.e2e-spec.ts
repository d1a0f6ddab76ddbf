import { jest } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_ENV, ADMIN_KEY } from '../support/admin-client.js';
import { AdminTestHandlersModule, failing } from '../support/admin-test-handlers.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, uniqueId, untilEventStatus } from '../support/test-app.js';

/** Debian's Chromium (`apt-get install chromium`); playwright-core never downloads a browser here. */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test/artifacts');
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Skipped on a developer's machine without Chromium; in CI (CI=true, set by .ci/run) it runs, and
// fails if Chromium is missing.
if (!existsSync(CHROMIUM) && process.env.CI !== 'true') {
  console.warn(
    `SKIPPED the browser test: ${CHROMIUM} is not installed (apt-get install -y chromium); .ci/run installs it.`,
  );
}
const describeWithChromium = existsSync(CHROMIUM) || process.env.CI === 'true' ? describe : describe.skip;

describeWithChromium('in a real browser: Swagger UI and Bull Board', () => {
  jest.setTimeout(90_000);
  let t: TestApp;
  let browser: Browser;
  let failedEventId: string;
  let failedExternalId: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestApp({ extraImports: [AdminTestHandlersModule], env: ADMIN_ENV });
    failedExternalId = uniqueId('browser');
    failing.add(failedExternalId);
    failedEventId = (await t.post({ id: failedExternalId, type: 'admin.switchable', data: { from: 'browser test' } }))
      .body.id;
    await untilEventStatus(t.db, failedEventId, 'failed');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** The Swagger UI block of one operation, opened, in "Try it out" mode. */
  async function tryOut(page: Page, method: string, path: string) {
    const block = page.locator(`.opblock-${method}`, {
      has: page.locator(`.opblock-summary-path[data-path="${path}"]`),
    });
    await block.locator('.opblock-summary').first().click();
    await block.locator('button.try-out__btn').click();
    return block;
  }

  async function execute(block: ReturnType<Page['locator']>) {
    await block.locator('button.execute').click();
    const status = block.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor({ timeout: 15_000 });
    const body = await block
      .locator(
        '.live-responses-table .response-col_description .highlight-code, .live-responses-table .response-col_description pre',
      )
      .first()
      .innerText();
    return { status: (await status.innerText()).trim(), body };
  }

  it('authorises in Swagger UI, lists events and replays the failed one', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    try {
      await page.goto(`${t.url}/docs`);
      await page.locator('.swagger-ui .info .title').waitFor();
      expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('webhook-inbox');

      // Without the key the admin API refuses, in the browser too.
      const refused = await tryOut(page, 'get', '/admin/events');
      expect((await execute(refused)).status).toBe('401');

      await page.locator('button.authorize').first().click();
      const dialog = page.locator('.dialog-ux .modal-ux');
      const bearer = dialog.locator('form').filter({ hasText: 'admin-key' });
      await bearer.locator('input[type="text"], input[type="password"]').first().fill(ADMIN_KEY);
      await bearer.locator('button.authorize').click();
      await dialog.locator('button.btn-done, button.close-modal').first().click();

      const listed = await execute(refused); // the same block, now authorised
      expect(listed.status).toBe('200');
      expect(listed.body).toContain(failedEventId);
      await page.screenshot({ path: join(ARTIFACTS, 'swagger-events.png'), fullPage: false });

      failing.delete(failedExternalId); // the handler is fixed; replay the event
      const replay = await tryOut(page, 'post', '/admin/events/{id}/replay');
      await replay.locator('tr[data-param-name="id"] input').fill(failedEventId);
      const replayed = await execute(replay);
      expect(replayed.status).toBe('200');
      expect(replayed.body).toContain('"previousStatus": "dead"');
      await replay.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, 'swagger-replay.png') });
      await untilEventStatus(t.db, failedEventId, 'processed');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('logs in through the login page, opens Bull Board and Swagger UI with the session, and logs out', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    try {
      // Opening the dashboard without a session leads to the login form, which remembers where to go.
      await page.goto(`${t.url}/admin/queues`);
      expect(page.url()).toBe(`${t.url}/admin/login?next=${encodeURIComponent('/admin/queues')}`);
      await page.locator('input[name="key"]').fill('not-the-key');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').waitFor();
      expect(await page.getByRole('alert').innerText()).toMatch(/not one of ADMIN_API_KEYS/);
      expect((await context.cookies()).map((cookie) => cookie.name)).toEqual([]);

      await page.locator('input[name="key"]').fill(ADMIN_KEY);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(`${t.url}/admin/queues`);
      const [session] = await context.cookies();
      expect(session).toMatchObject({
        name: 'webhook_inbox_admin',
        httpOnly: true,
        sameSite: 'Strict',
        path: '/admin',
      });

      await page.getByText('webhook-handler-SwitchableHandler').first().waitFor({ timeout: 20_000 });
      for (const queue of ['webhook-dispatch', 'webhook-handler-SteadyHandler', 'webhook-handler-OrderPlacedHandler']) {
        expect(await page.getByText(queue).count()).toBeGreaterThan(0);
      }
      await page.screenshot({ path: join(ARTIFACTS, 'bull-board-overview.png') });
      await page.getByText('webhook-handler-SwitchableHandler').first().click();
      await page.waitForURL(/\/admin\/queues\/queue\/webhook-handler-SwitchableHandler/);
      await page.screenshot({ path: join(ARTIFACTS, 'bull-board-queue.png') });

      // A dashboard action from the page (the browser adds the cookie and this site's Origin) is on the audit trail.
      const paused = await page.evaluate(async () => {
        const response = await fetch('/admin/queues/api/queues/webhook-handler-SteadyHandler/pause', { method: 'PUT' });
        await fetch('/admin/queues/api/queues/webhook-handler-SteadyHandler/resume', { method: 'PUT' });
        return response.status;
      });
      expect(paused).toBe(200);
      // Written before the dashboard's answer left, so it is there now.
      const audit = await page.evaluate(
        async () => (await (await fetch('/admin/audit?action=queues.pause')).json()) as { items: unknown[] },
      );
      expect(audit.items[0]).toMatchObject({
        action: 'queues.pause',
        via: 'session',
        method: 'PUT',
        params: { path: { queueName: 'webhook-handler-SteadyHandler' } },
        status: 200,
      });

      // Swagger UI's calls carry the session too: no Authorize needed.
      await page.goto(`${t.url}/docs`);
      const list = await tryOut(page, 'get', '/admin/events');
      const listed = await execute(list);
      expect(listed.status).toBe('200');
      expect(listed.body).toContain(failedEventId);

      const loggedOut = await page.evaluate(async () => (await fetch('/admin/session', { method: 'DELETE' })).status);
      expect(loggedOut).toBe(204);
      await page.goto(`${t.url}/admin/queues`);
      expect(page.url()).toContain('/admin/login');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
