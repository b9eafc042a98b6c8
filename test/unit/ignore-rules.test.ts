import { describe, expect, it } from 'vitest';
import { IgnoreRules } from '../../src/cluster/ignore-rules.js';

function ignored(text: string, paths: [string, boolean][]): string[] {
  const rules = IgnoreRules.parse(text);
  return paths.filter(([p, dir]) => rules.ignores(p, dir)).map(([p]) => p);
}

describe('.squallignore rules (gitignore syntax)', () => {
  it('leave out node_modules and version control by default, at any depth', () => {
    expect(ignored('', [['node_modules', true], ['lib/node_modules', true], ['.git', true], ['src', true], ['node_modules', false], ['a.ts', false]])).toEqual([
      'node_modules',
      'lib/node_modules',
      '.git',
    ]);
  });

  it('match a name without a slash at any depth, and anchor a pattern with one', () => {
    const paths: [string, boolean][] = [['build', true], ['web/build', true], ['out/x.js', false], ['web/out/x.js', false]];
    expect(ignored('build\n/out/*.js\n', paths)).toEqual(['build', 'web/build', 'out/x.js']);
  });

  it('apply a trailing slash to folders only', () => {
    expect(ignored('cache/\n', [['cache', true], ['cache', false]])).toEqual(['cache']);
  });

  it('understand *, ?, [...] and **', () => {
    const paths: [string, boolean][] = [
      ['a.log', false],
      ['x/b.log', false],
      ['data1.csv', false],
      ['data12.csv', false],
      ['fa.txt', false],
      ['fz.txt', false],
      ['docs/a/b/c.md', false],
      ['docs', true],
      ['deep/x/tmp', true],
    ];
    expect(ignored('*.log\ndata?.csv\nf[a-c].txt\ndocs/**/*.md\n**/tmp\n', paths)).toEqual(['a.log', 'x/b.log', 'data1.csv', 'fa.txt', 'docs/a/b/c.md', 'deep/x/tmp']);
  });

  it('re-include with !, the last matching rule deciding; comments and blank lines are nothing', () => {
    const paths: [string, boolean][] = [['a.log', false], ['keep.log', false], ['#x', false], ['node_modules', true]];
    expect(ignored('# logs\n\n*.log\n!keep.log\n\\#x\n!node_modules/\n', paths)).toEqual(['a.log', '#x']);
  });
});
