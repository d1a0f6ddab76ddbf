// `npm run webhook:send -- --type T --data '{...}' | --file F [--url U]` (after `npm run build`).
import { runSendWebhookCli } from '../src/admin/test-webhook/send-webhook-cli.js';

process.exitCode = await runSendWebhookCli(process.argv.slice(2), process.env);
