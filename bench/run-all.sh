#!/usr/bin/env bash
# Runs every benchmark once and prints their JSON lines. Record the figures in bench/RESULTS.md
# with the date and the machine. Node runs with a larger young generation, as a JVM worker would
# be given a tuned heap: short-lived tuples then die young instead of being promoted.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${BENCH_SECONDS:-15}
node_opts=(--max-semi-space-size=64 --import tsx)
for name in const-null const-id-null const-id-null-acked word-count; do
  node "${node_opts[@]}" bench/storm-perf.ts "$name" "$secs"
done
# p99 complete latency with acking on, at half the acked throughput target (200K tuples/s).
node "${node_opts[@]}" bench/storm-perf.ts const-id-null-acked-half "$secs" 200000
# Trident word count, Redis state: 5000 and 50 sentences per batch (throughput vs commit latency).
node "${node_opts[@]}" bench/trident.ts "$secs" 5000
node "${node_opts[@]}" bench/trident.ts "$secs" 50
for f in bench/windowing.ts bench/stateful.ts bench/multilang-*.ts; do
  [ -e "$f" ] && node "${node_opts[@]}" "$f"
done
# Cluster mode: nats-server, a coordinator and a supervisor started with the built squall binary.
npm run build >/dev/null
node --import tsx bench/cluster.ts "$secs"
exit 0
