// Layer rules for src/: each folder imports only the folders below it (docs/architecture.md).
//   app → admin | ops → ingress | processing → inbox → database → shared   (testing → processing, for specs)
// The example feature (src/subscriptions) sees only the public handler API.
/** @type {import('dependency-cruiser').IConfiguration} */
const layers = {
  shared: [],
  database: ['shared'],
  inbox: ['shared', 'database'],
  ingress: ['shared', 'database', 'inbox'],
  processing: ['shared', 'database', 'inbox'],
  admin: ['shared', 'database', 'inbox', 'processing'],
  ops: ['shared', 'database', 'inbox', 'processing'],
  // The handler author's testing kit: used by specs only, never by the service.
  testing: ['shared', 'database', 'inbox', 'processing'],
};

const upward = Object.entries(layers).map(([layer, allowed]) => ({
  name: `${layer}-imports-only-below`,
  comment: `src/${layer} may import only ${allowed.length ? allowed.map((l) => `src/${l}`).join(', ') : 'nothing of ours'}`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: {
    path: '^(src|migrations)/',
    pathNot: [`^src/${layer}/`, ...allowed.map((l) => `^src/${l}/`), ...(layer === 'database' ? ['^migrations/'] : [])],
  },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'Circular imports make a layer impossible to change on its own. Type-only cycles are allowed: ' +
        "the inbox's entities form one aggregate whose relations name each other by type.",
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    ...upward,
    {
      name: 'example-feature-uses-public-handler-api-only',
      comment: 'src/subscriptions is written the way users write theirs: it imports only src/processing/api.',
      severity: 'error',
      from: { path: '^src/subscriptions/' },
      to: { path: '^src/', pathNot: ['^src/subscriptions/', '^src/processing/api/'] },
    },
    {
      name: 'only-specs-use-the-testing-kit',
      comment: 'src/testing runs handlers in unit tests; the service itself never loads it (it is not built).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/testing/' },
      to: { path: '^src/testing/' },
    },
    {
      name: 'nothing-imports-app',
      comment: 'src/app wires everything together; nothing below may import it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/app/' },
      to: { path: '^src/app/' },
    },
    {
      name: 'nothing-imports-the-example',
      comment: 'The core must not depend on an application feature.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/subscriptions/', '^src/app/'] },
      to: { path: '^src/subscriptions/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|\\.spec\\.ts$)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
  },
};
