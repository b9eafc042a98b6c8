import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Packr } from 'msgpackr';
import { SquallError, describe } from '../common/index.js';
import { IGNORE_FILE, IgnoreRules } from './ignore-rules.js';

/**
 * A topology package, the role of Storm's jar: the topology file bundled by esbuild into one ES
 * module (its npm dependencies included, `squall` left to the worker's own installation) plus
 * the files of its folder (multilang scripts, Go binaries, data) not left out by `.squallignore`,
 * with their modes.
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
/** A folder larger than this is most likely a whole project, not what its workers need. */
export const MAX_PACKAGE_BYTES = 64 * 1024 * 1024;
const packr = new Packr({ useRecords: false, moreTypes: false });

export interface BundleOptions {
  /** Where the bundle will be written: source-map paths and `require` resolve from there. */
  readonly outfile: string;
  /**
   * `bare`: `import 'squall'` stays as it is, for the worker's installation to answer (a package);
   * `this`: it points at the squall running this code, so the file loads wherever it is.
   */
  readonly squall: 'bare' | 'this';
  /** What `import.meta.url`, `__filename` and `require` stand for (default: the bundle's own URL). */
  readonly moduleUrl?: string;
}

/**
 * Bundles a topology file (TypeScript or JavaScript, ES module or CommonJS, with or without a
 * package.json around it) into one ES module. CommonJS dependencies get a real `require` (for
 * Node's built-in modules) and `__dirname`, which esbuild's ESM output lacks.
 */
export async function bundleTopology(file: string, options: BundleOptions): Promise<Uint8Array> {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) throw new PackageError(`Cannot load topology from ${file}: no such file`);
  const url = options.moduleUrl === undefined ? 'import.meta.url' : JSON.stringify(options.moduleUrl);
  const banner = [
    "import { createRequire as __squallCreateRequire } from 'node:module';",
    "import { fileURLToPath as __squallFileURLToPath } from 'node:url';",
    "import { dirname as __squallPathDirname } from 'node:path';",
    `var __squallModuleUrl = ${url};`,
    'const require = __squallCreateRequire(__squallModuleUrl);',
    'var __squallFilename = __squallFileURLToPath(__squallModuleUrl);',
    'var __squallDirname = __squallPathDirname(__squallFilename);',
  ].join('\n');
  try {
    // Loaded here: workers unpack packages and never need esbuild in memory.
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [absolute],
      outfile: options.outfile,
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      sourcesContent: false,
      banner: { js: banner },
      define: {
        __dirname: '__squallDirname',
        __filename: '__squallFilename',
        ...(options.moduleUrl === undefined ? {} : { 'import.meta.url': JSON.stringify(options.moduleUrl) }),
      },
      plugins: [
        {
          name: 'squall',
          setup(b) {
            b.onResolve({ filter: /^squall(\/.*)?$/ }, (args) => {
              const target = squallExport(args.path);
              if (target === undefined) {
                return { errors: [{ text: `'${args.path}' is not an export of squall (it has ${squallSpecifiers().join(', ')})` }] };
              }
              if (options.squall === 'bare') return { path: args.path, external: true };
              return { path: args.kind === 'require-call' ? target : pathToFileURL(target).href, external: true };
            });
          },
        },
      ],
      logLevel: 'silent',
    });
    const out = result.outputFiles.find((f) => f.path.endsWith('.mjs') || f.path.endsWith('.js')) ?? result.outputFiles[0];
    if (out === undefined) throw new SquallError('TOPOLOGY_LOAD', 'esbuild produced no output');
    return out.contents;
  } catch (err) {
    throw new PackageError(`Cannot load topology from ${file}: ${describe(err)}`, { cause: err });
  }
}

export interface PackOptions {
  /** Refuse a package whose files add up to more than this. @defaultValue {@link MAX_PACKAGE_BYTES} */
  readonly maxBytes?: number;
}

/** Bundles `file` and collects its folder (less what `.squallignore` leaves out) into a package. */
export async function packTopology(file: string, options: PackOptions = {}): Promise<TopologyPackage> {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) throw new PackageError(`Cannot package ${file}: no such file`);
  const root = path.dirname(absolute);
  const bundled = await bundleTopology(absolute, { outfile: path.join(root, ENTRY), squall: 'bare' });
  const found = listPackageFiles(root);
  const maxBytes = options.maxBytes ?? MAX_PACKAGE_BYTES;
  const total = found.reduce((n, f) => n + f.size, bundled.length);
  if (total > maxBytes) throw new PackageError(tooLarge(file, root, found, total, maxBytes));
  const files: Record<string, { data: Uint8Array; mode: number }> = { [ENTRY]: { data: bundled, mode: 0o644 } };
  for (const f of found) files[f.rel] = { data: readFileSync(f.full), mode: f.mode };
  return { v: 1, entry: ENTRY, files };
}

interface FoundFile {
  readonly rel: string;
  readonly full: string;
  readonly size: number;
  readonly mode: number;
}

/** The files of `root` a package holds: everything but what the defaults and `.squallignore` leave out. */
export function listPackageFiles(root: string): FoundFile[] {
  const ignoreFile = path.join(root, IGNORE_FILE);
  const rules = IgnoreRules.parse(existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : '');
  const out: FoundFile[] = [];
  const seen = new Set<string>();
  const walk = (dir: string): void => {
    // A symlink back up the tree would otherwise be walked forever.
    const real = realpathSync(dir);
    if (seen.has(real)) return;
    seen.add(real);
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full).split(path.sep).join('/');
      let st;
      try {
        st = statSync(full);
      } catch {
        continue; // a dangling symlink: nothing to ship
      }
      if (rules.ignores(rel, st.isDirectory())) continue;
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) out.push({ rel, full, size: st.size, mode: st.mode & 0o777 });
    }
  };
  walk(root);
  return out;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** Says how big the folder is, what takes the room, and how to leave things out. */
function tooLarge(file: string, root: string, found: readonly FoundFile[], total: number, maxBytes: number): string {
  const byTop = new Map<string, number>();
  for (const f of found) {
    const top = f.rel.includes('/') ? `${f.rel.slice(0, f.rel.indexOf('/'))}/` : f.rel;
    byTop.set(top, (byTop.get(top) ?? 0) + f.size);
  }
  const largest = [...byTop.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, size]) => `${name} ${mib(size)}`)
    .join(', ');
  return (
    `Cannot package ${file}: its folder ${root} holds ${mib(total)} in ${found.length} files, over the ${mib(maxBytes)} limit ` +
    `(largest: ${largest}). Every file beside the topology ships to each worker: list what the workers do not need in ` +
    `${path.join(root, IGNORE_FILE)} (gitignore syntax), or move the topology into a folder of its own`
  );
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
export function squallRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

let exportsOfSquall: Record<string, string> | undefined;

/** `squall`, `squall/testing`, ... -> the file each names in this installation's package.json. */
function squallExports(): Record<string, string> {
  if (exportsOfSquall !== undefined) return exportsOfSquall;
  const root = squallRoot();
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { exports?: Record<string, { default?: string } | string> };
  const out: Record<string, string> = {};
  for (const [sub, target] of Object.entries(manifest.exports ?? {})) {
    const file = typeof target === 'string' ? target : target.default;
    if (file !== undefined) out[sub === '.' ? 'squall' : `squall${sub.slice(1)}`] = path.join(root, file);
  }
  return (exportsOfSquall = out);
}

function squallExport(specifier: string): string | undefined {
  return squallExports()[specifier];
}

function squallSpecifiers(): string[] {
  return Object.keys(squallExports());
}
