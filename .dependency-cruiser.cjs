/**
 * The dependency rules of ARCHITECTURE.md, enforced: no cycles, dependencies pointing one way
 * from the leaves up, daemons meeting only through cluster/ and protocol/, composition roots
 * (local/, cli/) imported by nobody, and the runtime never importing trident/.
 */
const layers = {
  common: [],
  config: ['common'],
  tuple: ['common'],
  protocol: ['common', 'config', 'tuple'],
  api: ['common', 'config', 'tuple', 'protocol', 'state'],
  grouping: ['common', 'tuple', 'protocol', 'api'],
  state: ['common', 'config', 'tuple', 'protocol'],
  transport: ['common', 'config', 'protocol'],
  acker: ['common', 'config', 'tuple', 'api'],
  stateful: ['common', 'config', 'tuple', 'protocol', 'api', 'state'],
  windowing: ['common', 'config', 'tuple', 'api', 'state'],
  executor: ['common', 'config', 'tuple', 'protocol', 'api', 'grouping', 'acker', 'transport', 'state', 'stateful', 'windowing'],
  multilang: ['common', 'config', 'tuple', 'protocol', 'api'],
  trident: ['common', 'config', 'tuple', 'protocol', 'api', 'state', 'grouping'],
  cluster: ['common', 'config', 'protocol'],
  metrics: ['common', 'config', 'protocol', 'cluster', 'executor'],
  worker: ['common', 'config', 'tuple', 'protocol', 'api', 'executor', 'transport', 'multilang', 'cluster', 'metrics'],
  coordinator: ['common', 'config', 'protocol', 'cluster'],
  supervisor: ['common', 'config', 'protocol', 'cluster'],
  ui: ['common', 'config', 'protocol', 'cluster', 'metrics'],
};

const forbidden = [
  {
    name: 'no-circular',
    severity: 'error',
    comment: 'Cycles make the layering meaningless.',
    from: {},
    to: { circular: true },
  },
  {
    name: 'composition-roots-are-leaves-of-the-graph',
    severity: 'error',
    comment: 'local/ and cli/ compose everything; nothing inside src imports them (the package entry points may).',
    from: { path: '^src/(?!local/|cli/|index\\.ts|testing\\.ts|internal\\.ts)' },
    to: { path: '^src/(local|cli)/' },
  },
];

for (const [folder, allowed] of Object.entries(layers)) {
  const ok = [folder, ...allowed].join('|');
  forbidden.push({
    name: `${folder}-imports-only-${allowed.join('-') || 'nothing'}`,
    severity: 'error',
    comment: `src/${folder} may import only: ${allowed.join(', ') || 'nothing inside src'}`,
    from: { path: `^src/${folder}/` },
    to: { path: '^src/', pathNot: `^src/(${ok})/` },
  });
}

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
