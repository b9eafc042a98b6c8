import type { TopologySummary } from '../local/index.js';

type Counts = Record<string, { emitted: number; executed: number; acked: number; failed: number }>;

function rate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return n.toFixed(0);
}

/** One line of per-component rates between two snapshots: `sentences 12.3K/s emit | split 12.3K/s exec ...`. */
export function formatRates(before: Counts, after: Counts, seconds: number): string {
  const parts: string[] = [];
  for (const [id, c] of Object.entries(after)) {
    const b = before[id] ?? { emitted: 0, executed: 0, acked: 0, failed: 0 };
    const s = Math.max(seconds, 1e-3);
    const main = c.executed > 0 ? `${rate((c.executed - b.executed) / s)}/s in` : `${rate((c.emitted - b.emitted) / s)}/s out`;
    const failed = c.failed - b.failed;
    parts.push(`${id} ${main}${failed > 0 ? ` (${rate(failed / s)}/s failed)` : ''}`);
  }
  return parts.join(' | ');
}

/** The end-of-run table: one row per component. */
export function formatSummaryTable(summary: TopologySummary): string {
  const header = ['component', 'tasks', 'emitted', 'transferred', 'executed', 'acked', 'failed', 'latency ms (p50/p99)', 'capacity'];
  const rows = Object.entries(summary.components).map(([id, c]) => {
    const lat = c.complete_latency_ms ?? c.process_latency_ms ?? c.execute_latency_ms;
    return [
      id,
      String(c.tasks),
      String(c.emitted),
      String(c.transferred),
      String(c.executed),
      String(c.acked),
      String(c.failed),
      lat === undefined ? '-' : `${lat.p50_ms}/${lat.p99_ms}${c.complete_latency_ms === undefined ? '' : ' complete'}`,
      c.capacity === undefined ? '-' : c.capacity.toFixed(3),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [`Topology '${summary.topology}' ran ${summary.uptime_secs.toFixed(1)}s`, line(header), ...rows.map(line)];
  if (summary.errors.length > 0) {
    out.push(`${summary.errors.length} error(s) reported; last: ${summary.errors[summary.errors.length - 1]?.component}: ${summary.errors[summary.errors.length - 1]?.message}`);
  }
  return out.join('\n');
}

/** Rows as columns padded to their widest cell, two spaces apart (the first row sets the column count). */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}
