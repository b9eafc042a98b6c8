import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Topology } from '../api/index.js';
import { bundleTopology, unpackTopology, type TopologyPackage } from '../cluster/index.js';
import { TopologyLoadError, describe, isSquallError } from '../common/index.js';

export interface LoadedTopology {
  readonly topology: Topology;
  readonly file: string;
  /** The directory holding the topology file: where multilang scripts are resolved. */
  readonly resourcesDir: string;
  /** A name from the file's folder (topologies/word-count/topology.ts -> word-count). */
  readonly defaultName: string;
}

/**
 * Loads a topology file (`.ts`, `.mts`, `.js`, `.mjs`, `.cjs`; ES module or CommonJS) whose
 * default export is a built topology or a function returning one (possibly async). The file is
 * bundled by esbuild as a worker's package is, so a file that runs here runs on a worker; its
 * `import 'squall'` is this squall, with or without a node_modules or package.json around it.
 */
export async function loadTopologyFile(file: string): Promise<LoadedTopology> {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) throw new TopologyLoadError(file, 'no such file');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'squall-load-'));
  try {
    const entry = path.join(dir, 'topology.mjs');
    // import.meta.url and __dirname keep naming the file's own folder, where its resources are.
    writeFileSync(entry, await bundleTopology(file, { outfile: entry, squall: 'this', moduleUrl: pathToFileURL(absolute).href }));
    return await loadTopologyModule(entry, absolute);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Unpacks a topology package into `dir` and loads it, as a worker does; `squall submit` does the
 * same before submitting, so a package that cannot load is refused rather than crash-looping.
 */
export async function loadTopologyPackage(pkg: TopologyPackage, dir: string, file?: string): Promise<LoadedTopology> {
  const entry = unpackTopology(pkg, dir);
  const loaded = await loadTopologyModule(entry, file ?? entry);
  return file === undefined ? loaded : { ...loaded, resourcesDir: dir };
}

/**
 * Imports a bundled topology module and checks its default export; `file` is the source named in
 * errors and the one the default name comes from.
 */
export async function loadTopologyModule(moduleFile: string, file = moduleFile): Promise<LoadedTopology> {
  // Stack traces of the topology's code name its own files and lines (the bundle has a source map).
  process.setSourceMapsEnabled(true);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(moduleFile).href)) as Record<string, unknown>;
  } catch (err) {
    // A validation error thrown while the module builds its topology is the user's real problem.
    if (isRefusal(err)) throw err;
    throw new TopologyLoadError(file, describe(err), { cause: err });
  }
  let exported = mod.default;
  // CommonJS compiled from `export default` arrives as module.exports = { default: ... }.
  if (isPlainObject(exported) && 'default' in exported && !isTopology(exported)) exported = exported.default;
  if (exported === undefined) {
    const named = Object.keys(mod).filter((k) => k !== 'default');
    throw new TopologyLoadError(
      file,
      `the file has no default export${named.length > 0 ? ` (it exports ${list(named)})` : ''}: export default a topology (builder.createTopology()), or a function returning one`,
    );
  }
  if (typeof exported === 'function' && !isClass(exported)) {
    try {
      exported = await (exported as () => unknown)();
    } catch (err) {
      if (isRefusal(err)) throw err;
      throw new TopologyLoadError(file, `the default export threw: ${describe(err)}`, { cause: err });
    }
    if (!isTopology(exported)) throw new TopologyLoadError(file, `the default export is a function that returned ${whatIs(exported)}`);
  }
  if (!isTopology(exported)) throw new TopologyLoadError(file, `the default export is ${whatIs(exported)}`);
  const source = path.resolve(file);
  const resourcesDir = path.dirname(source);
  const base = path.basename(source).replace(/\.[cm]?[jt]s$/, '');
  const defaultName = base === 'topology' || base === 'index' ? path.basename(resourcesDir) : base;
  return { topology: exported, file: source, resourcesDir, defaultName };
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

function isClass(x: unknown): boolean {
  return typeof x === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(x));
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, 5).map((n) => `'${n}'`);
  return names.length > 5 ? `${shown.join(', ')} and ${names.length - 5} more` : shown.join(', ');
}

/** What a default export that is not a topology is, and what to write instead. */
function whatIs(x: unknown): string {
  const fix = 'export default builder.createTopology()';
  if (x === null || x === undefined) return `${String(x)}, not a topology: ${fix}`;
  if (typeof x === 'function') return `the class ${x.name || '(anonymous)'}, not a topology: ${fix}, or a function returning it`;
  if (typeof x !== 'object') return `${typeof x === 'string' ? 'a string' : `a ${typeof x}`}, not a topology: ${fix}`;
  const o = x as Record<string, unknown>;
  if (typeof o.createTopology === 'function' && typeof o.setSpout === 'function') {
    return `a TopologyBuilder, not the topology it builds: export default builder.createTopology()`;
  }
  if (typeof o.build === 'function' && typeof o.newStream === 'function') {
    return `a TridentTopology, not the topology it builds: export default trident.build()`;
  }
  if (x instanceof Promise) return `a promise that is not a topology: ${fix}, or an async function returning it`;
  const keys = Object.keys(o);
  const holding = keys.filter((k) => isTopology(o[k]));
  if (holding.length > 0) return `an object holding a topology in ${list(holding)}: export that topology as the default`;
  const kind = isPlainObject(x) ? 'a plain object' : `an instance of ${(x as object).constructor.name}`;
  return `${kind}${keys.length > 0 ? ` (keys ${list(keys)})` : ''}, not a topology: ${fix}`;
}

/** The topology was refused as invalid (kept as it is); anything else thrown means the file did not load. */
function isRefusal(err: unknown): boolean {
  return isSquallError(err, 'INVALID_TOPOLOGY') || isSquallError(err, 'INVALID_CONFIG') || isSquallError(err, 'INCOMPATIBLE_STATE');
}

/**
 * A topology built against another copy of the package (the file imports `squall` resolved
 * elsewhere) is not `instanceof` ours; accept anything with the same shape.
 */
function isTopology(x: unknown): x is Topology {
  if (x instanceof Topology) return true;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Topology).createComponent === 'function' &&
    typeof (x as Topology).spec === 'object' &&
    typeof (x as Topology).config === 'object'
  );
}
