// The arithmetic of `npm run cost`: medians (contracts/stats' percentile), a least-squares line through (size, cost)
// points, and what the measured CPU per request implies for throughput. Pure, so tests pin it.
import { percentile } from '../../contracts/stats';

export function median(values: number[]): number {
  const middle = percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
  if (middle === null) throw new Error('median of no values');
  return middle;
}

/** cost ≈ fixed + perUnit × size, fitted by least squares over the points. */
export interface LinearCost {
  fixed: number;
  perUnit: number;
}

export function fitLine(points: { size: number; cost: number }[]): LinearCost {
  if (points.length < 2) throw new Error('a line needs two points at least');
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.size, 0) / n;
  const my = points.reduce((s, p) => s + p.cost, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.size - mx) ** 2, 0);
  if (sxx === 0) throw new Error('a line needs two different sizes');
  const perUnit = points.reduce((s, p) => s + (p.size - mx) * (p.cost - my), 0) / sxx;
  return { fixed: my - perUnit * mx, perUnit };
}

/** CPU ms per request by process, and the request rate the machine's cores could serve at that cost. */
export interface Capacity {
  cpuMsPerRequest: Record<string, number>;
  totalCpuMsPerRequest: number;
  /** cores × 1000 / total: the rate at which every core would be busy, requests/s (an upper bound). */
  cpuBoundRequestsPerSecond: number;
}

export function capacity(cpuMs: Record<string, number>, requests: number, cores: number): Capacity {
  if (requests <= 0) throw new Error('capacity of no requests');
  const cpuMsPerRequest = Object.fromEntries(Object.entries(cpuMs).map(([name, ms]) => [name, ms / requests]));
  const totalCpuMsPerRequest = Object.values(cpuMsPerRequest).reduce((s, ms) => s + ms, 0);
  return { cpuMsPerRequest, totalCpuMsPerRequest, cpuBoundRequestsPerSecond: (cores * 1000) / totalCpuMsPerRequest };
}
