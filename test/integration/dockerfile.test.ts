/**
 * No Docker engine here, so the image cannot be built: this reads the Dockerfile and checks that
 * its toolchains are the ones the project needs, the Node of package.json's `engines` and the Go
 * of multilang/go/go.mod, which go stale silently otherwise (Debian's golang-go was 1.19).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

interface Stage {
  readonly image: string;
  readonly tag: string;
  readonly name: string | undefined;
  readonly lines: string[];
}

/** The stages of a Dockerfile: FROM image:tag [AS name] and the instructions under it. */
function stages(dockerfile: string): Stage[] {
  const out: Stage[] = [];
  // Continuation lines join their instruction; comments go.
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const line of instructions) {
    const from = /^FROM\s+([^\s:]+):(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from !== null) out.push({ image: from[1] ?? '', tag: from[2] ?? '', name: from[3], lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

/** [major, minor] of a version at the start of `s` ("24-bookworm-slim" → [24, 0]). */
function version(s: string): [number, number] {
  const m = /^(\d+)(?:\.(\d+))?/.exec(s);
  if (m === null) throw new Error(`no version in '${s}'`);
  return [Number(m[1]), Number(m[2] ?? 0)];
}

const atLeast = (v: [number, number], min: [number, number]): boolean => v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);

describe('Dockerfile toolchains', () => {
  const all = stages(read('Dockerfile'));
  const final = all.at(-1);

  it('runs on a Node that satisfies package.json engines', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const min = /^>=\s*(\d+(?:\.\d+)?)/.exec(engines);
    expect(min, `engines.node '${engines}' in the form >=X.Y`).not.toBeNull();
    expect(final?.image).toBe('node');
    const node = version(final?.tag ?? '');
    // A major tag (node:24) is that line's newest release: its minor is the highest there is.
    const effective: [number, number] = /^\d+\./.test(final?.tag ?? '') ? node : [node[0], Number.MAX_SAFE_INTEGER];
    expect(atLeast(effective, version(min?.[1] ?? '')), `node:${final?.tag} against engines ${engines}`).toBe(true);
  });

  it('has a Go at least as new as multilang/go/go.mod asks, on the PATH of the final image', () => {
    const mod = read('multilang/go/go.mod');
    const goLine = /^go\s+(\d+\.\d+)/m.exec(mod);
    const toolchain = /^toolchain\s+go(\d+\.\d+)/m.exec(mod);
    expect(goLine, 'a go directive in go.mod').not.toBeNull();
    const needed = version(toolchain?.[1] ?? goLine?.[1] ?? '');

    const goStage = all.find((s) => s.image === 'golang');
    expect(goStage, 'a golang build stage').toBeDefined();
    expect(atLeast(version(goStage?.tag ?? ''), needed), `golang:${goStage?.tag} against go ${needed.join('.')}`).toBe(true);
    const copy = final?.lines.find((l) => /^COPY\s+--from=(\S+)\s+\/usr\/local\/go\s+\/usr\/local\/go$/i.test(l));
    expect(copy, 'COPY --from=<golang stage> /usr/local/go /usr/local/go').toBeDefined();
    expect(copy).toContain(`--from=${goStage?.name ?? ''}`);
    expect(final?.lines.some((l) => /^ENV\s+PATH=\/usr\/local\/go\/bin:/.test(l))).toBe(true);
    // Debian's own package would shadow it with 1.19.
    expect(final?.lines.join('\n')).not.toMatch(/\bgolang-go\b/);
  });
});
