import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Topology } from '../api/index.js';
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
 * Loads a topology file (TypeScript or JavaScript) whose default export is a built topology or a
 * function returning one (possibly async). TypeScript is compiled on the fly by tsx.
 */
export async function loadTopologyFile(file: string): Promise<LoadedTopology> {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) throw new TopologyLoadError(file, 'no such file');
  let mod: { default?: unknown };
  try {
    if (/\.[cm]?ts$/.test(absolute)) {
      // Registered for the whole process (not tsImport's private namespace) so the topology and
      // this CLI share one instance of every squall module.
      const { register } = await import('tsx/esm/api');
      register();
      mod = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
    } else {
      mod = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
    }
  } catch (err) {
    // A validation error thrown while the module builds its topology is the user's real problem.
    if (isSquallError(err)) throw err;
    throw new TopologyLoadError(file, describe(err), { cause: err });
  }
  let exported = mod.default;
  // A file compiled as CommonJS exposes module.exports as `default`: unwrap its own default, and
  // recognise "named exports only" as what it is.
  if (typeof exported === 'object' && exported !== null && !isTopology(exported)) {
    const moduleExports = exported;
    if ('default' in moduleExports) exported = (moduleExports as { default: unknown }).default;
    else if (Object.keys(mod).every((k) => k === 'default' || k in moduleExports)) exported = undefined;
  }
  if (exported === undefined) {
    throw new TopologyLoadError(file, 'the file has no default export (export default a topology, or a function returning one)');
  }
  if (typeof exported === 'function') {
    try {
      exported = await (exported as () => unknown)();
    } catch (err) {
      if (isSquallError(err)) throw err;
      throw new TopologyLoadError(file, `the default export threw: ${describe(err)}`, { cause: err });
    }
  }
  if (!isTopology(exported)) {
    throw new TopologyLoadError(
      file,
      `the default export is ${exported === null ? 'null' : typeof exported}, not a topology (call builder.createTopology())`,
    );
  }
  const resourcesDir = path.dirname(absolute);
  const base = path.basename(absolute).replace(/\.[cm]?[jt]s$/, '');
  const defaultName = base === 'topology' || base === 'index' ? path.basename(resourcesDir) : base;
  return { topology: exported, file: absolute, resourcesDir, defaultName };
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
