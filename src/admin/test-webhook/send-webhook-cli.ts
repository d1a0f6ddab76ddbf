import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { EVENT_TYPE_CHARACTERS, EVENT_TYPE_PATTERN } from '../../shared/event-type.js';
import { readWebhookSources } from '../../shared/sources/source-environment.js';
import type { WebhookSource } from '../../shared/sources/webhook-source.js';
import {
  envelopeRequest,
  sendWebhook,
  signingSecret,
  sourceTestRequest,
  testEnvelope,
  webhookUrl,
} from './webhook-sender.js';

const USAGE = `Sends one signed webhook, like the provider does.

  npm run webhook:send -- --type T --data '{"k":"v"}' [--url U] [--id ID]
  npm run webhook:send -- --file F [--type T] [--url U]

  --type    event type (required unless the file is a whole envelope with "type")
  --data    the event's data, a JSON object
  --file    a JSON file: a whole envelope {"type", "data", ...} or just the data
  --url     where to post (default: PUBLIC_URL, else http://127.0.0.1:$PORT/webhooks, PORT defaulting to 3000)
  --id      the envelope id (default: evt_test_<uuid>; send the same id twice to see de-duplication)
  --secret  whsec_ secret to sign with (default: the first of WEBHOOK_SECRET; unsigned without one)
  --source  send as that source's sender would, to /webhooks/<source>, signed by its scheme with the
            first of its SOURCE_<NAME>_SECRET (WEBHOOK_SOURCES and SOURCE_<NAME>_* read from the environment)
`;

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `npm run webhook:send`: returns the exit code (0 when the service acknowledged the event). */
export async function runSendWebhookCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  output: CliOutput = { out: (line) => console.log(line), err: (line) => console.error(line) },
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        type: { type: 'string' },
        data: { type: 'string' },
        file: { type: 'string' },
        url: { type: 'string' },
        id: { type: 'string' },
        secret: { type: 'string' },
        source: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    output.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    output.out(USAGE);
    return 0;
  }

  const fail = (message: string) => {
    output.err(`${message}\n\n${USAGE}`);
    return 2;
  };
  if (values.data !== undefined && values.file !== undefined) return fail('give --data or --file, not both');

  let type = values.type as string | undefined;
  let data: unknown = {};
  let extra: Record<string, unknown> = {};
  let id = values.id as string | undefined;
  try {
    if (values.data !== undefined) data = JSON.parse(values.data as string);
    if (values.file !== undefined) {
      const content: unknown = JSON.parse(await readFile(values.file as string, 'utf8'));
      if (isObject(content) && typeof content.type === 'string' && 'data' in content) {
        const { type: fileType, data: fileData, id: fileId, created_at: _createdAt, ...rest } = content;
        type ??= fileType;
        data = fileData;
        if (typeof fileId === 'string') id ??= fileId;
        extra = rest;
      } else {
        data = content;
      }
    }
  } catch (error) {
    return fail(`could not read the data: ${(error as Error).message}`);
  }
  if (!type) return fail('--type is required');
  if (!EVENT_TYPE_PATTERN.test(type)) return fail(`--type must contain ${EVENT_TYPE_CHARACTERS}`);
  if (!isObject(data)) return fail('the data must be a JSON object');

  const sourceName = values.source as string | undefined;
  let source: WebhookSource | undefined;
  if (sourceName !== undefined) {
    const { sources, problems } = readWebhookSources(env, true);
    source = sources.find((candidate) => candidate.name === sourceName);
    if (!source) {
      const why = problems.find((problem) => problem.includes(`(source ${sourceName})`)) ?? 'not in WEBHOOK_SOURCES';
      return fail(`--source ${sourceName}: ${why}`);
    }
  }

  let url: string;
  try {
    const base = (values.url as string | undefined) ?? env.PUBLIC_URL ?? `http://127.0.0.1:${env.PORT ?? 3000}`;
    url = webhookUrl(base, sourceName);
  } catch {
    return fail(`not a URL: ${String(values.url ?? env.PUBLIC_URL)}`);
  }
  const envelope = { ...extra, ...testEnvelope(type, data, id) };
  const request = source
    ? sourceTestRequest(source, envelope)
    : envelopeRequest(envelope, (values.secret as string | undefined) ?? signingSecret(env.WEBHOOK_SECRET));
  try {
    const result = await sendWebhook({ url, request });
    output.out(`POST ${result.url} (${result.signed ? 'signed' : 'UNSIGNED: no secret'}, id ${result.webhookId})`);
    output.out(`→ ${result.status} in ${result.durationMs} ms: ${JSON.stringify(result.body)}`);
    const eventId = isObject(result.body) && typeof result.body.id === 'string' ? result.body.id : undefined;
    if (eventId)
      output.out(`event ${eventId}: GET /admin/events/${eventId}, or search the logs for "eventId":"${eventId}"`);
    return result.status >= 200 && result.status < 300 ? 0 : 1;
  } catch (error) {
    output.err(`could not send to ${url}: ${(error as Error).message}`);
    return 1;
  }
}
