// `docker ipv6 recover --rebuild-state`: observe, plan the state from daemon.json (rebuild-state.ts), write it
// under the tool lock; --dry-run shows it. A state file that reads as enabled is never replaced.
import type { RunContext } from '../cli/context';
import { PreconditionError, UsageError } from '../errors';
import { renderStateText } from '../model/state';
import { observeHost } from '../observe/snapshot';
import { outsideFacts, prefixFacts } from '../observe/prefix-facts';
import { withLock } from '../transaction/index';
import { rebuildState } from './rebuild-state';
import { uplinkMtu } from '../model/mtu';
import { ourSnatSource } from '../observe/outside';
import { natSourceChoices } from '../setup/nat-source';

export async function runRebuildState(ctx: RunContext, o: { prefix?: string; outsidePrefix?: string } = {}): Promise<void> {
  ctx.requireLocalDaemon('rebuild the state file');
  const dry = ctx.globals.dryRun;
  if (!dry) ctx.requireRoot('docker ipv6 recover --rebuild-state');
  const work = async () => {
    // the firewall too: in nat mode our SNAT rule still names the chosen source the lost file held
    const snap = await observeHost(ctx, { keepStateError: true });
    if (snap.state?.enabled) {
      throw new PreconditionError(`${ctx.paths.stateFile} is there and says docker ipv6 is enabled (${snap.state.mode}, ${snap.state.prefix}): nothing to rebuild`, 'docker ipv6 apply puts its rules back from it');
    }
    if (snap.daemonConfig.error || snap.daemonConfig.value === undefined) throw new UsageError(`cannot read ${snap.daemonConfig.path}: ${snap.daemonConfig.error ?? 'no content'}`, `fix ${snap.daemonConfig.path} first`);
    if (!snap.host.uplink) throw new UsageError(`no uplink: ${snap.host.uplinkReason}`, 'name the interface that leads outside with --uplink IFACE');
    const version = snap.daemon.reachable && snap.daemon.version ? snap.daemon.version : await ctx.host.dockerd.binaryVersion(ctx.globals.dockerd);
    const snat = ourSnatSource(snap);
    const before = await ctx.host.files.readText(`${ctx.paths.stateDir}/daemon.json.before-enable`);
    const rebuilt = rebuildState({
      config: { path: snap.daemonConfig.path, text: snap.daemonConfig.text ?? '', value: snap.daemonConfig.value },
      before, dockerVersion: version, uplink: snap.host.uplink, uplinkMtu: uplinkMtu(snap.host.net?.links ?? [], snap.host.uplink, snap.host.sysctls), prefix: o.prefix, outsidePrefix: o.outsidePrefix,
      host: outsideFacts(prefixFacts(snap)), natSource: snat ? { seen: snat, choices: natSourceChoices(snap).map((c) => c.address) } : undefined, sysctlFileExists: await ctx.host.files.exists(ctx.paths.sysctlConf),
      now: new Date().toISOString(),
    });
    if (snap.stateError && !dry) {
      // the unreadable file is kept beside the new one, never overwritten unseen
      const old = await ctx.host.files.readText(ctx.paths.stateFile);
      if (old !== undefined) await ctx.host.files.writeAtomic(`${ctx.paths.stateFile}.unreadable`, old, 0o600);
    }
    if (!dry) await ctx.host.state.write(rebuilt.state);
    return { rebuilt, stateError: snap.stateError };
  };
  const { rebuilt, stateError } = dry ? await work() : await withLock(ctx.paths.lockFile, { command: 'recover --rebuild-state', log: (l) => ctx.note(l) }, work);
  if (ctx.globals.json) { ctx.outJson({ stateFile: ctx.paths.stateFile, state: rebuilt.state, notes: rebuilt.notes, dryRun: dry }); return; }
  ctx.out(`${dry ? 'would write' : 'wrote'} ${ctx.paths.stateFile}${stateError ? ` (the unreadable one ${dry ? 'would be' : 'is'} kept as ${ctx.paths.stateFile}.unreadable)` : ''}:`);
  for (const n of rebuilt.notes) ctx.out(`  ${n}`);
  if (dry) { ctx.out(renderStateText(rebuilt.state).trimEnd().split('\n').map((l) => `  ${l}`).join('\n')); ctx.out('dry run: nothing was changed'); return; }
  ctx.out(`next: docker ipv6 apply (puts the filter for ${rebuilt.prefix} back; at boot the units do it)`);
}
