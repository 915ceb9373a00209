import type { FastifyPluginAsync } from 'fastify';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Metrics } from '../metrics.js';
import type { AlertStore } from '../store/alert-store.js';

/** What /metrics reads: the registry to expose, and the store whose queue depths it samples. */
export interface MetricsRouteOptions {
  metrics: Pick<Metrics, 'registry' | 'queueDepth' | 'oldestDeliveryAge'>;
  store: Pick<AlertStore, 'queueDepth' | 'oldestUnfinishedDelivery'>;
  /** Series of another registry (the pipeline thread's), merged with these by each metric's aggregator. */
  foreignMetrics?: ForeignMetrics;
}

/** Another registry's series, as its `getMetricsAsJSON()` gives them. */
export type ForeignMetrics = () => ReturnType<Registry['getMetricsAsJSON']>;

/** GET /metrics: the Prometheus exposition, with the queue depths read at scrape time. */
export const metricsRoute: FastifyPluginAsync<MetricsRouteOptions> = async (app, { metrics, store, foreignMetrics }) => {
  // Scraped every 15-30 s: at info, its request lines would outnumber the webhooks.
  app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) => {
    const depth = await store.queueDepth();
    metrics.queueDepth.set({ queue: 'events' }, depth.events);
    metrics.queueDepth.set({ queue: 'deliveries' }, depth.deliveries);
    const oldest = await store.oldestUnfinishedDelivery();
    metrics.oldestDeliveryAge.set(oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
    if (foreignMetrics === undefined) return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    const [own, foreign] = await Promise.all([metrics.registry.getMetricsAsJSON(), foreignMetrics()]);
    // prom-client marks a few process series 'omit' (process_start_time_seconds: no sum of start times
    // means anything across cluster workers); here one thread has them, so they are kept as they are.
    const kept = own.map((m) => (m.aggregator === 'omit' ? { ...m, aggregator: 'first' as const } : m));
    const merged = AggregatorRegistry.aggregate([kept, foreign]);
    return reply.type(merged.contentType).send(await merged.metrics());
  });
};
