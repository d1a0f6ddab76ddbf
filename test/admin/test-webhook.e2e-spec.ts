import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSendWebhookCli } from '../../src/admin/test-webhook/send-webhook-cli.js';
import { ADMIN_ENV, adminClient } from '../support/admin-client.js';
import { adminRunsOf, AdminTestHandlersModule } from '../support/admin-test-handlers.js';
import { inboxRowCounts } from '../support/inbox-rows.js';
import { newSecret } from '../support/signing.js';
import type { TestApp } from '../support/test-app.js';
import { startTestApp, untilEventStatus } from '../support/test-app.js';

const SECRET = newSecret();
const OTHER_SECRET = newSecret();

describe('test webhook: POST /admin/test-webhook and npm run webhook:send (signed, over the network)', () => {
  let t: TestApp;
  let admin: ReturnType<typeof adminClient>;
  let dir: string;

  beforeAll(async () => {
    t = await startTestApp({ extraImports: [AdminTestHandlersModule], env: { ...ADMIN_ENV, WEBHOOK_SECRET: SECRET } });
    admin = adminClient(t);
    dir = await mkdtemp(join(tmpdir(), 'send-webhook-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await t?.close();
  });

  const event = async (id: string) =>
    (await t.db.query('SELECT external_id, type, status, payload, headers FROM webhook_events WHERE id = $1', [id]))
      .rows[0];
  const processedSoon = (id: string) => untilEventStatus(t.db, id, 'processed');

  it('signs a test event with the configured secret, sends it to the service and says where to find it', async () => {
    const { status, body } = await admin.post('/admin/test-webhook', {
      type: 'admin.order_placed',
      data: { order_id: 'o-7', quantity: 3 },
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      url: `${t.url}/webhooks`,
      signed: true,
      status: 200,
      accepted: true,
      response: { received: true, duplicate: false },
      eventId: expect.any(String),
    });
    expect(body.externalId).toMatch(/^evt_test_/);
    expect(body.eventUrl).toBe(`/admin/events/${body.eventId}`);
    expect(body.logs).toContain(body.eventId);
    // It went through the real edge: stored with the sender's headers, then handled like any event.
    await processedSoon(body.eventId);
    const stored = await event(body.eventId);
    expect(stored).toMatchObject({
      external_id: body.externalId,
      type: 'admin.order_placed',
      payload: { data: { order_id: 'o-7', quantity: 3 } },
    });
    expect(stored.headers).toMatchObject({
      'user-agent': 'webhook-inbox-test-sender/1.0',
      'webhook-id': body.webhookId,
    });
    expect(adminRunsOf('OrderPlacedHandler', body.externalId)).toBe(1);
    const detail = await admin.get(body.eventUrl);
    expect(detail.body.deliveries[0]).toMatchObject({ handler: 'OrderPlacedHandler', status: 'succeeded' });
  });

  it("defaults to the inbox's own test type, which its built-in handler processes and nothing else sees", async () => {
    const { body } = await admin.post('/admin/test-webhook'); // no body at all
    expect(body).toMatchObject({ accepted: true, status: 200 });
    await untilEventStatus(t.db, body.eventId, 'processed');
    expect((await event(body.eventId)).type).toBe('webhook_inbox.test');
    const detail = await admin.get(body.eventUrl);
    expect(detail.body.deliveries).toEqual([
      expect.objectContaining({ handler: 'InboxTestWebhookHandler', status: 'succeeded' }),
    ]);
  });

  it('refuses a bad type or non-object data with a 400, sending nothing', async () => {
    const before = (await inboxRowCounts(t.db)).events;
    expect((await admin.post('/admin/test-webhook', { type: 'no spaces' })).status).toBe(400);
    expect((await admin.post('/admin/test-webhook', { type: 'a', data: [1] })).status).toBe(400);
    expect((await inboxRowCounts(t.db)).events).toBe(before);
  });

  it('reports an unreachable PUBLIC_URL instead of failing', async () => {
    const other = await startTestApp({
      env: { ...ADMIN_ENV, WEBHOOK_SECRET: SECRET, PUBLIC_URL: 'http://127.0.0.1:1' },
    });
    try {
      const { status, body } = await adminClient(other).post('/admin/test-webhook', { type: 'x' });
      expect(status).toBe(200);
      expect(body).toMatchObject({ url: 'http://127.0.0.1:1/webhooks', accepted: false, status: 0, eventId: null });
      expect(body.response.error).toContain('ECONNREFUSED');
    } finally {
      await other.close();
    }
  });

  describe('the CLI', () => {
    const run = async (argv: string[], env: NodeJS.ProcessEnv = { WEBHOOK_SECRET: SECRET }) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runSendWebhookCli(argv, env, { out: (line) => out.push(line), err: (line) => err.push(line) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    const eventIdIn = (text: string) => /event ([0-9a-f-]{36}):/.exec(text)?.[1];

    it('sends --type and --data signed with WEBHOOK_SECRET and prints the event', async () => {
      const { code, out } = await run([
        '--type',
        'admin.order_placed',
        '--data',
        '{"order_id":"cli-1","quantity":1}',
        '--url',
        t.url,
      ]);
      expect(code).toBe(0);
      expect(out).toContain(`POST ${t.url}/webhooks (signed`);
      expect(out).toContain('→ 200');
      const id = eventIdIn(out)!;
      await processedSoon(id);
      expect((await event(id)).payload.data).toEqual({ order_id: 'cli-1', quantity: 1 });
    });

    it('sends a whole envelope from --file; the same id twice is a duplicate', async () => {
      const file = join(dir, 'envelope.json');
      await writeFile(
        file,
        JSON.stringify({
          id: `evt_file_${randomBytes(4).toString('hex')}`,
          type: 'admin.order_placed',
          data: { order_id: 'f', quantity: 9 },
          extra: 'kept',
        }),
      );
      const first = await run(['--file', file, '--url', `${t.url}/webhooks`]);
      expect(first.code).toBe(0);
      const id = eventIdIn(first.out)!;
      expect((await event(id)).payload).toMatchObject({ extra: 'kept', data: { order_id: 'f', quantity: 9 } });
      const second = await run(['--file', file, '--url', t.url]);
      expect(second.out).toContain('"duplicate":true');
      expect(eventIdIn(second.out)).toBe(id);
    });

    it('exits 1 when the service refuses the signature, and 2 with usage on bad arguments', async () => {
      const wrong = await run(['--type', 'a', '--url', t.url], { WEBHOOK_SECRET: OTHER_SECRET });
      expect(wrong.code).toBe(1);
      expect(wrong.out).toContain('→ 401');
      const unsigned = await run(['--type', 'a', '--url', t.url], {});
      expect(unsigned.code).toBe(1);
      expect(unsigned.out).toContain('UNSIGNED');

      for (const argv of [
        [],
        ['--data', '{}'],
        ['--type', 'a', '--data', '[1]'],
        ['--type', 'a', '--data', '{oops'],
        ['--type', 'bad type'],
        ['--nope'],
      ]) {
        const result = await run(argv);
        expect({ argv, code: result.code }).toEqual({ argv, code: 2 });
        expect(result.err).toContain('npm run webhook:send');
      }
    });

    const built = join(process.cwd(), 'dist/scripts/send-webhook.js');
    (existsSync(built) ? it : it.skip)(
      'runs as `node dist/scripts/send-webhook.js` (what npm run webhook:send starts)',
      async () => {
        const child = spawn(
          process.execPath,
          [built, '--type', 'admin.order_placed', '--data', '{"order_id":"bin","quantity":4}'],
          {
            env: { PATH: process.env.PATH, WEBHOOK_SECRET: SECRET, PUBLIC_URL: t.url },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.stderr.on('data', (chunk) => (output += chunk));
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('→ 200') });
        await processedSoon(eventIdIn(output)!);
      },
    );
  });
});
