/**
 * Word count with a Go split bolt (main.go, built on the Go library in multilang/go): a
 * TypeScript sentence spout, the Go bolt as a subprocess per task, a TypeScript count bolt.
 *
 *   squall local topologies/go-word-count/topology.ts --duration 5
 *
 * The bolt's binary is built into bin/ (git-ignored) with `go build` when the topology is created
 * and the binary is missing or older than its sources; a Go toolchain is needed then.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ShellBolt,
  TopologyBuilder,
} from 'squall';
import { SentenceSpout, WordCount } from '../word-count/topology.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BINARY = path.join(HERE, 'bin', 'split');

/** Builds bin/split unless it is newer than every Go source and module file here. */
export function buildSplitBolt(): string {
  const sources = readdirSync(HERE).filter((f) => f.endsWith('.go') || f === 'go.mod' || f === 'go.sum');
  const fresh = existsSync(BINARY) && sources.every((f) => statSync(path.join(HERE, f)).mtimeMs <= statSync(BINARY).mtimeMs);
  if (!fresh) {
    try {
      execFileSync('go', ['build', '-o', BINARY, '.'], { cwd: HERE, stdio: ['ignore', 'inherit', 'inherit'] });
    } catch (err) {
      throw new Error(`go-word-count: building the Go split bolt failed (is Go installed?): ${(err as Error).message}`);
    }
  }
  return BINARY;
}

export default function goWordCount() {
  const split = buildSplitBolt();
  const builder = new TopologyBuilder();
  builder.setSpout('sentences', SentenceSpout, 1);
  // An absolute path: the binary runs in this folder (the topology's resources directory) either way.
  builder.setBolt('split', new ShellBolt({ command: [split], outputFields: ['word'] }), 2).shuffleGrouping('sentences');
  builder.setBolt('count', WordCount, 2).fieldsGrouping('split', ['word']);
  return builder.createTopology({ 'topology.max.spout.pending': 2000 });
}
