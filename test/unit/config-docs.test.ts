import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configKeys, daemonConfigKeys, withGeneratedSections } from '../../src/config/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe("the README's configuration tables", () => {
  it('are what the schemas give (run `npm run docs:config` when this fails)', () => {
    expect(readme).toBe(withGeneratedSections(readme));
  });

  it('list every key', () => {
    for (const k of [...configKeys(), ...daemonConfigKeys()]) expect(readme).toContain(`| \`${k.key}\` |`);
  });

  it('notice a stale table', () => {
    const stale = readme.replace('| `topology.workers` | 1 |', '| `topology.workers` | 2 |');
    expect(withGeneratedSections(stale)).not.toBe(stale);
  });
});
