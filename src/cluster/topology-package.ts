import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Packr } from 'msgpackr';
import { SquallError, describe } from '../common/index.js';

/**
 * A topology package, the role of Storm's jar: the topology file bundled by esbuild into one ES
 * module (its npm dependencies included, `squall` left to the worker's own installation) plus
 * every file of its folder (multilang scripts, Go binaries, data), with their modes.
 */
export interface TopologyPackage {
  readonly v: 1;
  /** File name of the bundled module inside the package. */
  readonly entry: string;
  readonly files: Readonly<Record<string, { readonly data: Uint8Array; readonly mode: number }>>;
}

export class PackageError extends SquallError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TOPOLOGY_LOAD', message, options);
  }
}

const ENTRY = '__topology.mjs';
const SKIPPED = new Set(['node_modules', '.git']);
/** Resources beyond this make a package too large to ship through the object store comfortably. */
export const MAX_PACKAGE_BYTES = 256 * 1024 * 1024;
const packr = new Packr({ useRecords: false, moreTypes: false });

/** Bundles `file` and collects its folder into a package. */
export async function packTopology(file: string): Promise<TopologyPackage> {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) throw new PackageError(`Cannot package ${file}: no such file`);
  let bundled: Uint8Array;
  try {
    // Loaded here: workers unpack packages and never need esbuild in memory.
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [absolute],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: ['squall', 'squall/*'],
      logLevel: 'silent',
    });
    const out = result.outputFiles[0];
    if (out === undefined) throw new Error('esbuild produced no output');
    bundled = out.contents;
  } catch (err) {
    throw new PackageError(`Cannot bundle ${file}: ${describe(err)}`, { cause: err });
  }
  const files: Record<string, { data: Uint8Array; mode: number }> = { [ENTRY]: { data: bundled, mode: 0o644 } };
  const root = path.dirname(absolute);
  let total = bundled.length;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      if (SKIPPED.has(name)) continue;
      const full = path.join(dir, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) {
        total += st.size;
        if (total > MAX_PACKAGE_BYTES) {
          throw new PackageError(`Cannot package ${file}: its folder holds more than ${MAX_PACKAGE_BYTES / 1048576} MiB`);
        }
        files[path.relative(root, full).split(path.sep).join('/')] = { data: readFileSync(full), mode: st.mode & 0o777 };
      }
    }
  };
  walk(root);
  return { v: 1, entry: ENTRY, files };
}

export function encodePackage(pkg: TopologyPackage): Uint8Array {
  return packr.pack(pkg);
}

export function decodePackage(bytes: Uint8Array): TopologyPackage {
  const pkg = packr.unpack(bytes) as Partial<TopologyPackage>;
  if (pkg.v !== 1 || typeof pkg.entry !== 'string' || typeof pkg.files !== 'object' || pkg.files === null) {
    throw new PackageError('Not a topology package of a version this build reads');
  }
  return pkg as TopologyPackage;
}

/**
 * Writes a package into `dir` (the worker's code directory) and returns the path of its module.
 * `squall` is made resolvable from there: the module uses this worker's installation.
 */
export function unpackTopology(pkg: TopologyPackage, dir: string): string {
  for (const [rel, { data, mode }] of Object.entries(pkg.files)) {
    const target = path.resolve(dir, rel);
    if (!target.startsWith(path.resolve(dir) + path.sep)) throw new PackageError(`Package file '${rel}' escapes its directory`);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, data);
    chmodSync(target, mode);
  }
  const modules = path.join(dir, 'node_modules');
  mkdirSync(modules, { recursive: true });
  const link = path.join(modules, 'squall');
  if (!existsSync(link)) symlinkSync(squallRoot(), link, 'dir');
  return path.join(dir, pkg.entry);
}

/** The root of the squall package this code runs from (two levels above dist/cluster or src/cluster). */
function squallRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}
