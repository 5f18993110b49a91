import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The service's Prometheus metrics, in one registry of our own (not prom-client's
 * global one) so several apps in one process — tests — never register a name twice.
 * Served at GET /metrics by MetricsController.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'cb_' });

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequests = new Counter({
  name: 'cb_http_requests_total',
  help: 'HTTP requests by method, route and status code.',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [metricsRegistry],
});

export const httpRequestDuration = new Histogram({
  name: 'cb_http_request_duration_seconds',
  help: 'HTTP request latency by method and route.',
  labelNames: ['method', 'route'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [metricsRegistry],
});

export const graphqlOperations = new Counter({
  name: 'cb_graphql_operations_total',
  help: 'GraphQL operations by type, name and outcome (ok, or the error code of the first error).',
  labelNames: ['type', 'operation', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const graphqlOperationDuration = new Histogram({
  name: 'cb_graphql_operation_duration_seconds',
  help: 'GraphQL operation latency by type and name.',
  labelNames: ['type', 'operation'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [metricsRegistry],
});

export const ledgerEntriesPosted = new Counter({
  name: 'cb_ledger_entries_posted_total',
  help: 'Journal entries committed, by kind (counted after commit; idempotent replays are not counted).',
  labelNames: ['kind'] as const,
  registers: [metricsRegistry],
});

export const jobDuration = new Histogram({
  name: 'cb_job_duration_seconds',
  help: 'Job processing time by queue and outcome (completed or failed).',
  labelNames: ['queue', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 300],
  registers: [metricsRegistry],
});

export const jobFailures = new Counter({
  name: 'cb_job_failures_total',
  help: 'Failed job attempts by queue (a retried job counts once per failed attempt).',
  labelNames: ['queue'] as const,
  registers: [metricsRegistry],
});

export interface QueueDepthSource {
  (): Promise<{ queue: string; state: string; count: number }[]>;
}

/** The jobs module registers how to count its queues; scraped on demand. */
export const queueDepthSources = new Set<QueueDepthSource>();

export const queueDepth = new Gauge({
  name: 'cb_queue_jobs',
  help: 'Jobs in each queue by state, read from the queue backend at scrape time.',
  labelNames: ['queue', 'state'] as const,
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    for (const source of queueDepthSources) {
      try {
        for (const { queue, state, count } of await source()) this.set({ queue, state }, count);
      } catch {
        // Queue backend unreachable: no samples (readiness reports it); the scrape still succeeds.
      }
    }
  },
});

