/** The intake baseline: a bare fastify route that parses and echoes the JSON body. Prints its URL. */
import Fastify from 'fastify';

const app = Fastify({ bodyLimit: 1024 * 1024 });
app.post('/v1/argocd/events', async (req, reply) => reply.code(202).send(req.body));
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening ${url}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
