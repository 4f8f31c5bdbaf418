// The import rules of src/ (README "Code map"), checked by `npm run lint:deps` (part of `npm test`).
// Layers, from the outside in: commands (parse, call, render) -> features (enable, doctor, network, verify,
// lint, agent, apply, status, lab, install, recover) -> engines (setup, prove, subnets, reconcile, transaction,
// observe, firewall) ->
// host (one adapter per outside system, behind host/adapters.ts) -> model (pure data, codecs and math).
const FEATURES = 'enable|doctor|network|verify|lint|agent|apply|status|lab|install|recover|fleet|image';
const ENGINES = 'setup|prove|subnets|reconcile|transaction|observe|firewall';

module.exports = {
  forbidden: [
    {
      name: 'model-is-pure',
      comment: 'src/model is data, codecs and math: no file, process, socket, clock or adapter; only model, errors.ts, ip-address and pure node modules',
      severity: 'error',
      from: { path: '^src/model/' },
      to: { pathNot: ['^src/model/', '^src/errors\\.ts$', '(^|/)node_modules/ip-address/', '^(node:)?(crypto|path)$'] },
    },
    {
      name: 'adapters-do-not-import-cli',
      comment: 'an adapter knows its outside system, not how the tool was called',
      severity: 'error',
      from: { path: '^src/host/' },
      to: { path: '^src/(cli|commands)/' },
    },
    {
      name: 'adapters-are-leaves',
      comment: 'adapters import only model, util, daemon.json codecs and errors: never an engine or a feature',
      severity: 'error',
      from: { path: '^src/host/' },
      to: { path: `^src/(${FEATURES}|${ENGINES}|commands)/` },
    },
    {
      name: 'engines-construct-no-adapter',
      comment: 'engines and features reach the host through ctx.host (host/adapters.ts); only the adapters module builds the real ones',
      severity: 'error',
      from: { path: `^src/(${FEATURES}|${ENGINES})/` },
      to: { path: '^src/host/(ip6tables|nftables|netlink|sysctl|dockerd|dockerd-procs|daemon-json|state-file|docker-api|systemd)\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'commands-hold-no-logic',
      comment: 'a command module parses its flags, calls one feature entry point and lets it render: no model, adapter or engine use',
      severity: 'error',
      from: { path: '^src/commands/' },
      to: { path: `^src/(model|host|${ENGINES}|daemon|util)/` },
    },
    {
      name: 'features-do-not-import-features',
      comment: 'a feature folder is no shared kernel: what two features share lives in model, an engine or cli',
      severity: 'error',
      from: { path: '^src/(enable|network|verify|lint|apply|status|lab|install|recover|image)/' },
      to: { path: `^src/(${FEATURES})/`, pathNot: '^src/$1/' },
    },
    {
      name: 'engines-do-not-import-features',
      comment: 'an engine serves features; it never reaches up into one',
      severity: 'error',
      from: { path: `^src/(${ENGINES})/` },
      to: { path: `^src/(${FEATURES}|commands)/` },
    },
    ...[
      // the named exceptions: doctor --compose runs lint's engine; the agent runs apply's locked pass. What doctor
      // --fix shares with enable lives in setup/, what doctor --probe and verify share in prove/, what verify and
      // network create share in subnets/, the agent's status file (status, doctor) in observe/
      ['doctor', 'doctor|lint'],
      ['agent', 'agent|apply'],
      // the fleet read-out shows status and doctor per host, and its probe reads doctor's facts
      ['fleet', 'fleet|status|doctor|agent'],
    ].map(([from, allowed]) => ({
      name: `features-do-not-import-features-${from}`,
      severity: 'error',
      from: { path: `^src/${from}/` },
      to: { path: `^src/(${FEATURES})/`, pathNot: `^src/(${allowed})/` },
    })),
    {
      name: 'no-folder-cycles',
      comment: 'folders import in one direction only',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-module-cycles',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    includeOnly: '^src/|node_modules/ip-address/|^(node:)?[a-z_]+$',
  },
};
