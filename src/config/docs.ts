import { SquallError } from '../common/index.js';
import { daemonConfigKeys } from './daemon-config.js';
import { configKeys } from './topology-config.js';

/**
 * The README's configuration tables, made from the declarations (`npm run docs:config` writes
 * them; a test fails when the README's copy is out of date).
 */

const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function topologyConfigTable(): string {
  const rows = configKeys().map((k) => `| \`${k.key}\` | ${cell(k.shown)} | ${cell(k.meaning)} |`);
  return ['| key | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

export function daemonConfigTable(): string {
  const rows = daemonConfigKeys().map((k) => `| \`${k.key}\` | ${k.env === undefined ? '–' : `\`${k.env}\``} | ${cell(k.shown)} | ${cell(k.meaning)} |`);
  return ['| key | env | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** The generated sections of the README, by marker name. */
export const GENERATED_SECTIONS: Readonly<Record<string, () => string>> = {
  'topology-config': topologyConfigTable,
  'daemon-config': daemonConfigTable,
};

/**
 * `text` with each generated section replaced: the lines between `<!-- begin NAME -->` and
 * `<!-- end NAME -->`. A section whose markers are missing is an error, so a moved table is noticed.
 */
export function withGeneratedSections(text: string): string {
  let out = text;
  for (const [name, make] of Object.entries(GENERATED_SECTIONS)) {
    const begin = `<!-- begin ${name} (npm run docs:config) -->`;
    const end = `<!-- end ${name} -->`;
    const i = out.indexOf(begin);
    const j = out.indexOf(end);
    if (i < 0 || j < i) throw new SquallError('INVALID_ARGUMENT', `README: markers for the generated section '${name}' are missing`);
    out = `${out.slice(0, i + begin.length)}\n${make()}\n${out.slice(j)}`;
  }
  return out;
}
