/**
 * Writes the README's configuration tables from the schemas in src/config (`npm run docs:config`).
 * test/unit/config-docs.test.ts fails when the README's tables differ from what this writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withGeneratedSections } from '../src/config/index.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const before = readFileSync(readme, 'utf8');
const after = withGeneratedSections(before);
if (after === before) process.stdout.write('README.md: configuration tables already up to date\n');
else {
  writeFileSync(readme, after);
  process.stdout.write('README.md: configuration tables rewritten\n');
}
