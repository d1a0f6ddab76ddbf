// Child process: the yardstick. A bare Fastify endpoint that parses the JSON body and answers 200,
// nothing else (no signature, no database, no queue) — the ceiling for this machine.
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post('/webhooks', async (request) => ({ received: true, type: request.body?.type }));
await app.listen({ port: 0, host: '127.0.0.1' });
const { port } = app.server.address();

process.on('message', async (message) => {
  if (message?.type === 'stats') {
    process.send({
      type: 'stats',
      id: message.id,
      cpu: process.cpuUsage(),
      monotonicMicros: Number(process.hrtime.bigint() / 1000n),
      maxRssKb: process.resourceUsage().maxRSS,
    });
  } else if (message?.type === 'stop') {
    await app.close();
    process.send({ type: 'stopped', maxRssKb: process.resourceUsage().maxRSS });
    process.exit(0);
  }
});
process.send({ type: 'ready', url: `http://127.0.0.1:${port}` });
