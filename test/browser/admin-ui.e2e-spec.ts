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

if (!existsSync(CHROMIUM)) {
  console.warn(
    `SKIPPED the browser test: ${CHROMIUM} is not installed (apt-get install -y chromium); .ci/run installs it.`,
  );
}
const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;

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
      await dialog.locator('input[type="text"], input[type="password"]').first().fill(ADMIN_KEY);
      await dialog.locator('button.authorize').click();
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

  it('opens Bull Board at /admin/queues with the key, and not without it', async () => {
    const anonymous = await browser.newContext();
    try {
      const response = await (await anonymous.newPage()).goto(`${t.url}/admin/queues`);
      expect(response?.status()).toBe(401);
    } finally {
      await anonymous.close();
    }

    // A browser cannot add a bearer header by itself; operators use a header extension or an
    // authenticating proxy. The test sets it on every request of the context.
    const context = await browser.newContext({
      viewport: { width: 1400, height: 900 },
      extraHTTPHeaders: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    try {
      const response = await page.goto(`${t.url}/admin/queues`);
      expect(response?.status()).toBe(200);
      await page.getByText('webhook-handler-SwitchableHandler').first().waitFor({ timeout: 20_000 });
      for (const queue of ['webhook-dispatch', 'webhook-handler-SteadyHandler', 'webhook-handler-OrderPlacedHandler']) {
        expect(await page.getByText(queue).count()).toBeGreaterThan(0);
      }
      await page.screenshot({ path: join(ARTIFACTS, 'bull-board-overview.png') });

      await page.getByText('webhook-handler-SwitchableHandler').first().click();
      await page.waitForURL(/\/admin\/queues\/queue\/webhook-handler-SwitchableHandler/);
      await page.screenshot({ path: join(ARTIFACTS, 'bull-board-queue.png') });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
