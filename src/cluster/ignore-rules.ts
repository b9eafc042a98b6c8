/**
 * Which files of a topology's folder stay out of its package: `.squallignore` in gitignore syntax
 * over a few defaults (dependencies and version control, which workers never need).
 */

/** Left out of every package unless `.squallignore` re-includes them (`!name`). */
export const DEFAULT_IGNORES: readonly string[] = ['node_modules/', '.git/', '.hg/', '.svn/', '.DS_Store', '.squallignore'];

export const IGNORE_FILE = '.squallignore';

interface Rule {
  readonly negated: boolean;
  readonly dirOnly: boolean;
  readonly regex: RegExp;
}

/** Gitignore rules for paths relative to one folder, '/'-separated. The last rule that matches decides. */
export class IgnoreRules {
  private readonly rules: Rule[] = [];

  constructor(lines: Iterable<string> = []) {
    for (const line of lines) this.add(line);
  }

  /** Rules from the text of an ignore file. */
  static parse(text: string, base: readonly string[] = DEFAULT_IGNORES): IgnoreRules {
    return new IgnoreRules([...base, ...text.split(/\r?\n/)]);
  }

  add(line: string): void {
    let body = trimTrailingSpaces(line);
    if (body === '' || body.startsWith('#')) return;
    let negated = false;
    if (body.startsWith('!')) {
      negated = true;
      body = body.slice(1);
    }
    let dirOnly = false;
    if (body.endsWith('/') && !body.endsWith('\\/')) {
      dirOnly = true;
      body = body.slice(0, -1);
    }
    if (body === '') return;
    // A slash anywhere but at the end anchors the pattern to the folder; otherwise it matches at any depth.
    const anchored = body.includes('/');
    if (body.startsWith('/')) body = body.slice(1);
    const source = globToRegex(body);
    this.rules.push({ negated, dirOnly, regex: new RegExp(anchored ? `^${source}$` : `^(?:.*/)?${source}$`) });
  }

  /** Whether `relPath` (a file, or a folder when `isDir`) is left out. */
  ignores(relPath: string, isDir: boolean): boolean {
    let ignored = false;
    for (const r of this.rules) {
      if (r.dirOnly && !isDir) continue;
      if (r.negated !== ignored) continue;
      if (r.regex.test(relPath)) ignored = !r.negated;
    }
    return ignored;
  }
}

/** Trailing spaces end a pattern unless escaped with a backslash. */
function trimTrailingSpaces(line: string): string {
  let end = line.length;
  while (end > 0 && line[end - 1] === ' ' && line[end - 2] !== '\\') end--;
  return line.slice(0, end);
}

const SPECIAL = /[.+^${}()|[\]\\]/;

/** A gitignore glob (no leading '!' or trailing '/') as the source of a regular expression. */
function globToRegex(glob: string): string {
  let out = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const before = i === 0 || glob[i - 1] === '/';
        const after = glob[i + 2];
        if (before && after === '/') {
          // `**/`: zero or more whole folders.
          out += '(?:.*/)?';
          i += 3;
          continue;
        }
        if (before && after === undefined) {
          // a trailing `/**`: everything inside.
          out += '.*';
          i += 2;
          continue;
        }
      }
      out += '[^/]*';
      while (glob[i] === '*') i++;
      continue;
    }
    if (c === '?') {
      out += '[^/]';
      i++;
      continue;
    }
    if (c === '\\' && i + 1 < glob.length) {
      const next = glob[i + 1] as string;
      out += SPECIAL.test(next) ? `\\${next}` : next.replace(/[*?]/, (m) => `\\${m}`);
      i += 2;
      continue;
    }
    if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close > 0) {
        let cls = glob.slice(i + 1, close);
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        out += `[${cls}]`;
        i = close + 1;
        continue;
      }
    }
    out += SPECIAL.test(c) ? `\\${c}` : c;
    i++;
  }
  return out;
}
