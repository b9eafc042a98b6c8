/**
 * Checks of a windowed bolt's settings, and the builder's hooks: at probe time (declare the
 * late-tuple stream, add the tick frequency the windows need) and at createTopology (settings
 * against the topology's configuration: message timeout, max spout pending, ticks).
 */
import { describe, type TopologyProblem } from '../../common/index.js';
import { ackerCount, type Config, type TopologyConfig } from '../../config/index.js';
import type { StreamDeclarations } from '../components.js';
import { LATE_TUPLE_FIELD } from './late-tuple.js';
import { describeMeasure, formatMs, type PlainMeasure } from './measures.js';
import type { WindowedBolt } from './windowed-bolt.js';

const TICK_KEY = 'topology.tick.tuple.freq.secs';

export function isEventTime(bolt: WindowedBolt): boolean {
  return bolt.getTimestampExtractor() !== undefined || bolt.getWindowConfiguration().timestampField !== undefined;
}

function measureProblem(what: string, m: PlainMeasure): string | undefined {
  if (m.count !== undefined) {
    return Number.isInteger(m.count) && m.count >= 1 ? undefined : `the ${what} must be a whole number of tuples of at least 1, got ${m.count}`;
  }
  return Number.isFinite(m.ms) && m.ms > 0 ? undefined : `the ${what} must be a positive number of milliseconds, got ${m.ms}`;
}

/** What is wrong with a windowed bolt's own settings. */
export function windowSettingsProblems(bolt: WindowedBolt): string[] {
  const wc = bolt.getWindowConfiguration();
  const problems: string[] = [];
  if (wc.length === undefined || wc.slide === undefined) {
    problems.push('a windowed bolt needs a window: call withWindow(length, slide) or withTumblingWindow(length)');
  } else {
    const bad = [measureProblem('window length', wc.length), measureProblem('sliding interval', wc.slide)].filter((p) => p !== undefined);
    problems.push(...bad);
    const { length, slide } = wc;
    if (bad.length === 0 && (length.count ?? length.ms) < (slide.count ?? slide.ms) && (length.count === undefined) === (slide.count === undefined)) {
      problems.push(`the sliding interval (${describeMeasure(slide)}) is longer than the window length (${describeMeasure(length)})`);
    }
  }
  if (wc.timestampField !== undefined && (typeof wc.timestampField !== 'string' || wc.timestampField.length === 0)) {
    problems.push('withTimestampField needs a non-empty field name');
  }
  if (!Number.isFinite(wc.lagMs) || wc.lagMs < 0) problems.push(`the lag must be at least 0 ms, got ${wc.lagMs}`);
  if (!Number.isFinite(wc.watermarkIntervalMs) || wc.watermarkIntervalMs < 1) {
    problems.push(`the watermark interval must be at least 1 ms, got ${wc.watermarkIntervalMs}`);
  }
  if (wc.lateTupleStream !== undefined) {
    if (typeof wc.lateTupleStream !== 'string' || wc.lateTupleStream.length === 0) {
      problems.push('withLateTupleStream needs a non-empty stream id');
    } else if (!isEventTime(bolt)) {
      problems.push(
        `withLateTupleStream('${wc.lateTupleStream}') needs event time (withTimestampField or withTimestampExtractor): in processing time no tuple is late`,
      );
    }
  }
  return problems;
}

/**
 * Seconds between the tick tuples that drive the windows, or undefined when none are needed:
 * the watermark interval in event time; in processing time the slide (or, for a time length, the
 * expiry granularity), capped by the watermark interval so a long slide still closes on time.
 */
export function windowTickSeconds(bolt: WindowedBolt): number | undefined {
  const wc = bolt.getWindowConfiguration();
  if (wc.length === undefined || wc.slide === undefined || windowSettingsProblems(bolt).length > 0) return undefined;
  if (isEventTime(bolt)) return wc.watermarkIntervalMs / 1000;
  if (wc.slide.ms !== undefined) return Math.min(wc.slide.ms, wc.watermarkIntervalMs) / 1000;
  if (wc.length.ms !== undefined) return Math.min(wc.length.ms, wc.watermarkIntervalMs) / 1000;
  return undefined;
}

/** The component configuration a windowed bolt needs on top of its own. */
export function windowComponentConfig(bolt: WindowedBolt): Config {
  const secs = windowTickSeconds(bolt);
  return secs === undefined ? {} : { [TICK_KEY]: secs };
}

/** Declares the late-tuple stream (unless the bolt declared it itself, with the same field). */
export function declareWindowStreams(bolt: WindowedBolt, declarations: StreamDeclarations): void {
  const stream = bolt.getWindowConfiguration().lateTupleStream;
  if (stream === undefined || typeof stream !== 'string' || stream.length === 0) return;
  const existing = declarations.streams.get(stream);
  if (existing !== undefined && existing.fields.size === 1 && existing.fields.names[0] === LATE_TUPLE_FIELD) return;
  declarations.declareStream(stream, [LATE_TUPLE_FIELD]);
}

/**
 * Builder hook at probe time: declares the window's streams and returns the component
 * configuration merged with what the windows need.
 */
export function probeWindowedBolt(id: string, bolt: WindowedBolt, declarations: StreamDeclarations, config: Config, problems: TopologyProblem[]): Config {
  try {
    declareWindowStreams(bolt, declarations);
  } catch (err) {
    problems.push({ component: id, message: `the late-tuple stream: ${describe(err)}` });
  }
  return { ...config, ...windowComponentConfig(bolt) };
}

/**
 * Builder hook at createTopology: the bolt's settings, and the settings against the topology's
 * configuration. Tuples are acked only when they leave the window, so the message timeout must
 * outlast a window and a slide (plus the lag and a watermark interval in event time), and a
 * spout's max pending must let a count window fill.
 */
export function checkWindowedBolt(
  id: string,
  bolt: WindowedBolt,
  topologyConfig: TopologyConfig,
  componentConfig: Config,
): TopologyProblem[] {
  const problems = windowSettingsProblems(bolt).map((message) => ({ component: id, message }));
  if (problems.length > 0) return problems;
  const wc = bolt.getWindowConfiguration();
  const { length, slide } = wc;
  if (length === undefined || slide === undefined) return problems;
  const eventTime = isEventTime(bolt);

  const needTick = windowTickSeconds(bolt);
  const tick = componentConfig[TICK_KEY];
  if (needTick !== undefined && tick !== needTick) {
    problems.push({
      component: id,
      message: `its windows are driven by tick tuples every ${needTick} s (from its ${eventTime ? 'watermark interval' : 'slide'}), but ${TICK_KEY} is set to ${String(tick)} on it: leave it unset`,
    });
  }

  const acking = ackerCount(topologyConfig) > 0;
  if (acking && topologyConfig['topology.enable.message.timeouts'] && length.ms !== undefined) {
    const terms: [string, number][] = [['window length', length.ms]];
    if (slide.ms !== undefined) terms.push(['slide', slide.ms]);
    if (eventTime) terms.push(['lag', wc.lagMs], ['watermark interval', wc.watermarkIntervalMs]);
    const holdMs = terms.reduce((sum, [, ms]) => sum + ms, 0);
    const timeoutSecs = topologyConfig['topology.message.timeout.secs'];
    if (timeoutSecs * 1000 <= holdMs) {
      const sum = terms.map(([name, ms]) => `${name} ${formatMs(ms)}`).join(' + ');
      problems.push({
        component: id,
        message: `topology.message.timeout.secs is ${timeoutSecs} s, but a windowed bolt acks its tuples only when they leave the window, up to ${formatMs(holdMs)} later (${sum}): tuples would time out and replay; raise the timeout above ${holdMs / 1000} s`,
      });
    }
  }
  const maxPending = topologyConfig['topology.max.spout.pending'];
  if (acking && maxPending !== null && length.count !== undefined && maxPending < length.count) {
    problems.push({
      component: id,
      message: `topology.max.spout.pending is ${maxPending}, but a count window holds up to ${length.count} tuples unacked: a spout task stops at ${maxPending} pending, so the window could never fill`,
    });
  }
  return problems;
}
