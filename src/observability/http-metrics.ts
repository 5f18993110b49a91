import { httpRequestDuration, httpRequests } from './metrics';

/** Routes we serve; anything else is counted as "other" to keep label cardinality bounded. */
const KNOWN_ROUTES = /^\/(graphql|health\/live|health\/ready|metrics|admin\/queues|deeds\/photos)/;

/** Counts and times one HTTP request once its response is sent (called from http-server.ts). */
export function recordHttpRequest(method: string, url: string, status: number, seconds: number): void {
  const match = KNOWN_ROUTES.exec(url);
  const route = match ? `/${match[1]}` : 'other';
  httpRequests.inc({ method, route, status: String(status) });
  httpRequestDuration.observe({ method, route }, seconds);
}
