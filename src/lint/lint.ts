// The lint command's engine: read inputs, ask the host, lint, optionally fix, render. Returns the exit status.
import { realpath } from 'node:fs/promises';
import type { RunContext } from '../cli/context';
import { UsageError } from '../errors';
import { collectSources, readEnvFiles } from './inputs';
import { parseSource, type ParsedSource } from './source';
import { lintParsed, type LintResult } from './engine';
import { compareFix, renderDryRun, renderText, renderJson, summary } from './output';
import { renderSarif } from './sarif';
import { RULES } from './rules';
import { fetchHostNetworks, type HostNetworksResult } from './host';
import { fixCompose } from './fix';
import { replaceFile } from '../host/files';
import { lintUsedSpace, makeAllocator, readHostAllocation } from './alloc';
import { unifiedDiff } from '../util/diff';
import { composeModel } from './compose-model';
import { derivedGlobalId } from './derived-ula';
import type { HostNetwork, Source } from './types';

export type LintFormat = 'text' | 'json' | 'sarif';

export interface LintOptions {
  format: LintFormat;
  fix: boolean;
  dryRun: boolean;
  dualStack: boolean;
  /**
   * Ask this host (Docker's networks, the docker-ipv6 state) for the rules and --fix allocations that depend on it
   * (--host-check). Off by default: without it the same files give the same output everywhere, CI included.
   */
  hostCheck: boolean;
  /** apply the "no IPv6" rules to every file (--require-ipv6) */
  requireIpv6?: boolean;
  /** Compose variable files (--env-file, repeatable, later ones win) */
  envFiles?: string[];
  /** take Compose variables from the environment too (--use-env; it wins over env files, as in Compose) */
  useEnv?: boolean;
  /** the lowest severity that makes the exit status 1 (--fail-on; default error) */
  failOn?: 'error' | 'warning' | 'info' | 'never';
}

/** Outside effects, replaceable in tests. */
export interface LintDeps {
  stdin: NodeJS.ReadableStream;
  fetchHost: () => Promise<HostNetworksResult>;
  writeFile: (path: string, text: string) => Promise<void>;
  /** the bytes of --fix's new ULA (tests inject fixed ones); by default derived from the Compose files being fixed */
  random?: (n: number) => Buffer;
  version: string;
  cwd: string;
  /** the environment --use-env reads (tests pass their own) */
  env?: NodeJS.ProcessEnv;
}

export async function defaultDeps(ctx: RunContext): Promise<LintDeps> {
  const { version } = await import('../../package.json');
  return {
    stdin: process.stdin,
    fetchHost: () => fetchHostNetworks(ctx.host.docker, 2000),
    // the tool's atomic replace; through a symlink its target is written (the link stays), keeping its mode and owner
    writeFile: async (path, text) => replaceFile(await realpath(path).catch(() => path), text),
    version,
    cwd: process.cwd(),
  };
}

const hasCompose = (parsed: ParsedSource[]) => parsed.some((p) => p.docs.some((d) => d.kind === 'compose'));

export async function runLint(ctx: RunContext, paths: string[], opts: LintOptions, deps: LintDeps): Promise<number> {
  if (opts.fix && !opts.dryRun && paths.includes('-')) {
    throw new UsageError('--fix cannot write back to stdin', 'add --dry-run to see the diff, or pass the file path');
  }
  const sources = await collectSources(paths, deps.stdin);
  const env = { ...(await readEnvFiles(opts.envFiles ?? [])), ...(opts.useEnv ? definedOnly(deps.env ?? process.env) : {}) };
  const parse = (s: Source) => parseSource(s, { env });
  let parsed = sources.map(parse);
  const engineOpts = { dualStack: opts.dualStack, requireIpv6: opts.requireIpv6, env };

  // the rules that look at this host run only when asked; the JSON says which rules ran and why others did not
  let hostNetworks: HostNetwork[] | undefined;
  const skipped: Array<{ rule: string; reason: string }> = [];
  if (!opts.hostCheck) skipped.push({ rule: HOST_RULE, reason: 'it looks at this host, so it runs only with --host-check' });
  else if (!hasCompose(parsed)) skipped.push({ rule: HOST_RULE, reason: 'no Compose file among the inputs' });
  else {
    const host = await deps.fetchHost();
    if (host.ok) hostNetworks = host.networks;
    else skipped.push({ rule: HOST_RULE, reason: `Docker is not reachable (${host.reason})` });
  }

  const fixes: Array<{ file: string; changes: string[]; diff: string }> = [];
  // --dry-run leaves the files as they are: findings are reported against them (positions on disk)
  const onDisk = opts.fix && opts.dryRun ? lintParsed(parsed, { ...engineOpts, hostNetworks }) : undefined;
  const before = new Map(parsed.map((p) => [p.source.file, p.source.text]));
  if (opts.fix) {
    const fixed = await applyFixes(ctx, parsed, hostNetworks, opts, deps);
    fixes.push(...fixed.fixes);
    parsed = fixed.sources.map(parse);
  }

  const result = lintParsed(parsed, { ...engineOpts, hostNetworks });
  const compared = onDisk ? compareFix(onDisk.findings, result.findings, { before, after: new Map(parsed.map((p) => [p.source.file, p.source.text])) }) : undefined;
  render(ctx, result, opts, deps, skipped, fixes, onDisk && compared ? { result: onDisk, compared } : undefined);
  // with --dry-run the exit status tells whether the fix would leave errors
  const failing = FAIL_LEVELS[opts.failOn ?? 'error'];
  return result.findings.some((f) => failing.includes(f.severity)) ? 1 : 0;
}

const HOST_RULE = 'compose/subnet-host-collision';

const FAIL_LEVELS: Record<NonNullable<LintOptions['failOn']>, string[]> = { error: ['error'], warning: ['error', 'warning'], info: ['error', 'warning', 'info'], never: [] };

const definedOnly = (env: NodeJS.ProcessEnv) => Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));

async function applyFixes(ctx: RunContext, parsed: ParsedSource[], hostNetworks: HostNetwork[] | undefined, opts: LintOptions, deps: LintDeps) {
  // the host's prefix and allocations only with --host-check; otherwise a ULA derived from the files themselves
  const state = opts.hostCheck ? await readHostAllocation(ctx.host.state) : undefined;
  const composeSources = parsed.filter((p) => p.docs.some((d) => d.kind === 'compose')).map((p) => p.source);
  const used = lintUsedSpace({
    files: parsed.flatMap((p) => p.docs.filter((d) => d.kind === 'compose').flatMap((d) => composeModel(d).networks.flatMap((n) => n.ipam.map((e) => e.subnet?.text ?? '')))),
    networks: hostNetworks,
    allocations: state?.allocations,
  });
  const derived = () => derivedGlobalId(...composeSources.flatMap((x) => [x.file, x.text]));
  const { allocate } = makeAllocator({ prefix: state?.prefix, used, random: deps.random ?? derived });
  const fixes: Array<{ file: string; changes: string[]; diff: string }> = [];
  const sources: Source[] = [];
  for (const p of parsed) {
    const composeDocs = p.docs.filter((d) => d.kind === 'compose');
    // a multi-document file is not a Compose file Compose itself would read: leave it alone
    if (composeDocs.length !== 1 || p.docs.length !== 1 || p.errors.length) { sources.push(p.source); continue; }
    const { text, changes } = fixCompose(composeDocs[0], allocate);
    if (text === p.source.text) { sources.push(p.source); continue; }
    const check = parseSource({ file: p.source.file, text }, { env: composeDocs[0].env });
    if (check.errors.length) throw new Error(`--fix produced invalid YAML for ${p.source.file}: ${check.errors[0].message}`);
    fixes.push({ file: p.source.file, changes, diff: unifiedDiff(p.source.text, text, `a/${p.source.file}`, `b/${p.source.file}`) });
    if (!opts.dryRun) await deps.writeFile(p.source.file, text);
    sources.push({ file: p.source.file, text });
  }
  if (opts.format === 'text') {
    for (const f of fixes) {
      if (opts.dryRun) ctx.out(f.diff);
      else ctx.note(`fixed ${f.file}: ${f.changes.join('; ')}`);
    }
    if (fixes.length === 0) ctx.note('--fix: nothing to change');
  }
  return { fixes, sources };
}

function render(ctx: RunContext, result: LintResult, opts: LintOptions, deps: LintDeps, skipped: Array<{ rule: string; reason: string }>, fixes: Array<{ file: string; changes: string[]; diff: string }>, dry?: { result: LintResult; compared: ReturnType<typeof compareFix> }): void {
  const onDisk = dry?.result;
  if (opts.format === 'json') {
    const fixInfo = opts.fix ? { fixes: fixes.map((f) => ({ ...f, written: !opts.dryRun })) } : {};
    const rules = { rulesRun: RULES.map((r) => r.id).filter((id) => !skipped.some((x) => x.rule === id)), skippedRules: skipped };
    if (onDisk) {
      // findings (and their positions) are the files on disk; afterFix lists what the fixed text would have
      ctx.outJson({ ...(renderJson(onDisk, { ...rules, ...fixInfo }) as object), findings: dry!.compared.findings, afterFix: { findings: result.findings, positions: 'in the fixed text' } });
    } else ctx.outJson(renderJson(result, { ...rules, ...fixInfo }));
    return;
  }
  if (opts.format === 'sarif') {
    ctx.outJson(renderSarif((onDisk ?? result).findings, RULES, { version: deps.version, cwd: deps.cwd }));
    return;
  }
  // the default run says nothing about the host rule it leaves out (every CI log would carry the line); a run that asked for it, does
  if (opts.hostCheck) for (const s of skipped) ctx.note(`note: skipped ${s.rule}: ${s.reason}`);
  for (const f of result.files) if (f.syntaxErrors.length === 0 && f.kinds.every((k) => k === 'unknown')) ctx.note(`note: ${f.file}: nothing to lint (not a Compose file, Kubernetes manifest or CNI config)`);
  const text = dry ? renderDryRun(dry.compared) : renderText(result.findings);
  if (text) ctx.stdout.write(text);
  const tail = result.dualStack ? ' (dual-stack intent)' : '';
  ctx.note(onDisk ? `on disk: ${summary(onDisk.findings)}; after the fix: ${summary(result.findings)}${tail}` : `${summary(result.findings)}${tail}`);
}
