/** What every benchmark measures the same way: a warm-up, then a counted window with peak RSS. */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Measured {
  /** How much `read()` grew over the window. */
  readonly count: number;
  readonly elapsedSecs: number;
  readonly rssMb: number;
}

/**
 * Waits out the warm-up (a third of the run, at most `maxWarmupSecs`), calls `afterWarmup`
 * (reset latency histograms, start clocks), then measures `read()`'s growth and the peak RSS over
 * the rest of the run.
 */
export async function measure(
  seconds: number,
  read: () => number,
  afterWarmup: () => void = () => undefined,
  maxWarmupSecs = 3,
): Promise<Measured> {
  const warmup = Math.min(maxWarmupSecs, seconds / 3);
  await sleep(warmup * 1000);
  afterWarmup();
  const start = read();
  const t0 = performance.now();
  let rssPeak = 0;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 200);
  await sleep((seconds - warmup) * 1000);
  clearInterval(rssTimer);
  const count = read() - start;
  const elapsedSecs = (performance.now() - t0) / 1000;
  return { count, elapsedSecs, rssMb: Math.round(Math.max(rssPeak, process.memoryUsage().rss) / 1048576) };
}
