/**
 * The chaos suite: a real cluster runs an acked topology (ids from a durable Redis queue, a sink
 * recording them in Redis) and a Trident word count (JetStream in, Redis state) while a schedule
 * kills workers, a supervisor, the leader and nats-server; at the end every id is acked and seen,
 * none lost, and the Trident counts are exact. Duplicates and recovery times are recorded, not
 * asserted.
 *
 * By default the short run (a few thousand ids, one kill of each kind). `npm run test:chaos`
 * (SQUALL_CHAOS=full) runs the long schedule and appends its figures to bench/RESULTS-chaos.md;
 * SQUALL_CHAOS_SEED repeats a run's choice of victims; SQUALL_CHAOS_SCHEDULE (e.g. `worker,nats`) runs
 * the given kills instead.
 */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { root } from '../helpers/cluster.js';
import { ChaosRun, describeKill, randomSeed, resultsSection, seeded, type ChaosOptions, type KillKind } from '../helpers/chaos.js';

const full = process.env.SQUALL_CHAOS === 'full';
const seed = process.env.SQUALL_CHAOS_SEED !== undefined ? Number(process.env.SQUALL_CHAOS_SEED) : full ? randomSeed() : 1;
if (!Number.isInteger(seed)) throw new Error(`SQUALL_CHAOS_SEED must be a whole number, not '${process.env.SQUALL_CHAOS_SEED ?? ''}'`);

/** The schedule in an order fixed by the seed (Fisher-Yates). */
function shuffled<T>(items: T[], seed: number): T[] {
  const random = seeded(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const KINDS: readonly KillKind[] = ['worker', 'supervisor', 'leader', 'nats'];
const given = process.env.SQUALL_CHAOS_SCHEDULE?.split(',').map((k) => k.trim());
const unknown = given?.filter((k) => !(KINDS as readonly string[]).includes(k)) ?? [];
if (unknown.length > 0) throw new Error(`SQUALL_CHAOS_SCHEDULE: unknown kill kind(s) ${unknown.join(', ')}; the kinds are ${KINDS.join(', ')}`);
const schedule: KillKind[] = given !== undefined
  ? (given as KillKind[])
  : full
  ? shuffled([...Array<KillKind>(12).fill('worker'), ...Array<KillKind>(3).fill('supervisor'), ...Array<KillKind>(3).fill('leader'), ...Array<KillKind>(3).fill('nats')], seed)
  : ['worker', 'supervisor', 'leader', 'nats'];
const options: ChaosOptions = {
  idsPerSec: full ? 1000 : 100,
  wordsPerSec: full ? 500 : 100,
  schedule,
  seed,
  recoveryLimitMs: full ? 60_000 : 30_000,
  drainLimitMs: full ? 90_000 : 40_000,
  log: (line) => process.stdout.write(`${line}\n`),
};

let run: ChaosRun | undefined;
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail' && run !== undefined) process.stderr.write(`${run.logs()}\n`);
  await run?.stop();
  run = undefined;
});

const kinds = KINDS.map((k) => [k, schedule.filter((x) => x === k).length] as const).filter(([, n]) => n > 0);
const killed = kinds.map(([k, n]) => `${n} ${k === 'nats' ? 'nats-server' : k}${k === 'nats' ? ' restart' : ' kill'}${n > 1 ? 's' : ''}`).join(', ');

describe(`chaos (${full ? 'full' : 'short'} run, seed ${seed})`, () => {
  it(`loses no id and counts every word exactly once through ${killed}`, async () => {
    run = new ChaosRun(options);
    await run.start();
    const result = await run.run();
    for (const k of result.kills) process.stdout.write(`${k.kind}: ${k.target}: ${describeKill(k)}\n`);
    if (full) {
      const file = path.join(root, 'bench/RESULTS-chaos.md');
      if (!existsSync(file)) writeFileSync(file, '# Chaos suite results\n\n`npm run test:chaos` (test/chaos): see ARCHITECTURE.md, Tests.\n\n');
      const machine = `${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, load ${loadavg().map((l) => l.toFixed(1)).join(' / ')} at the end, Node ${process.version}`;
      appendFileSync(file, resultsSection(result, options, `${new Date().toISOString().slice(0, 16).replace('T', ', ')} UTC — ${machine}`));
    }

    expect(result.unacked, 'ids never acked').toEqual([]);
    expect(result.unseen, 'ids the sink never saw').toEqual([]);
    expect({ queued: result.leftQueued, pending: result.leftPending }).toEqual({ queued: 0, pending: 0 });
    expect(result.tridentCounts).toEqual(result.tridentExpected);
    expect(result.ids).toBeGreaterThan(0);
    expect(result.words).toBeGreaterThan(0);
  }, full ? 1_800_000 : 240_000);
});
