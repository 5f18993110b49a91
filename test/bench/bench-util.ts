import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createMigratedDatabase, databaseUrl, dropDatabase } from '../support/postgres';

/** A throwaway migrated database for one benchmark run. */
export async function benchDatabase(label: string) {
  const name = `cb_bench_${label}_${randomBytes(4).toString('hex')}`;
  await createMigratedDatabase(name);
  return { name, url: databaseUrl(name), drop: () => dropDatabase(name) };
}

export interface LatencyStats {
  count: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** CPU time (user + system) the serving process spent per request, when its pid was given. */
  cpuMsPerRequest?: number;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux; clock ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Runs `workers` loops of `op` for `seconds`; returns throughput and latency percentiles
 * (ms) and, given the pid of the process serving them, its CPU time per request: on a
 * machine shared with other work, throughput moves with the neighbours, CPU per request
 * much less.
 */
export async function runFor(
  seconds: number,
  workers: number,
  op: (worker: number, i: number) => Promise<void>,
  servingPid?: number,
): Promise<LatencyStats> {
  const cpuBefore = servingPid ? cpuSeconds(servingPid) : 0;
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        await op(w, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const stats = summarise(latencies, elapsed);
  if (servingPid) stats.cpuMsPerRequest = ((cpuSeconds(servingPid) - cpuBefore) * 1000) / stats.count;
  return stats;
}

export function summarise(latencies: number[], elapsedSeconds: number): LatencyStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN);
  return { count: sorted.length, perSecond: sorted.length / elapsedSeconds, p50: pct(0.5), p99: pct(0.99) };
}

export const fmt = (s: LatencyStats) =>
  `${s.perSecond.toFixed(0).padStart(6)} /s   p50 ${s.p50.toFixed(2).padStart(7)} ms   p99 ${s.p99.toFixed(2).padStart(7)} ms   (n=${s.count})` +
  (s.cpuMsPerRequest === undefined ? '' : `   server CPU ${s.cpuMsPerRequest.toFixed(2)} ms/request`);
