// Chooses, once per run, where our firewall rules live: ip6tables chains, or our own nftables table when Docker
// uses its nftables backend (Docker 29+). Our rules must sit where Docker's are: with the nftables backend nothing
// of Docker's is in ip6tables-save, and an admin reading `nft list ruleset` must find ours beside Docker's.
import { readFile } from 'node:fs/promises';
import { dockerdsFor, type DockerdProcess } from '../daemon/keys';
import { parseDaemonJson } from '../daemon/parse';
import { dockerFirewall, type FirewallClues } from '../model/firewall-backend';
import type { DockerFirewall, FirewallFacts } from '../model/ip6tables-save';
import type { FirewallAdapter } from './interfaces';

export interface FirewallChoiceInputs {
  /** `docker info`'s FirewallBackend.Driver ('' when the daemon answers without it); undefined when it does not answer */
  infoDriver(): Promise<string | undefined>;
  processes(): Promise<DockerdProcess[]>;
  configFile: string;
}

/** What the host tells about Docker's firewall backend (each source may fail: then it tells nothing). */
export async function detectDockerFirewall(i: FirewallChoiceInputs): Promise<DockerFirewall> {
  const clues: FirewallClues = {};
  clues.infoDriver = await i.infoDriver().catch(() => undefined);
  if (clues.infoDriver === undefined) {
    const procs = dockerdsFor(await i.processes().catch(() => []), i.configFile);
    if (procs.length === 1) clues.argv = procs[0].argv;
    try {
      clues.config = parseDaemonJson(await readFile(i.configFile, 'utf8'), i.configFile).value['firewall-backend'];
    } catch { /* missing or broken: Docker's default, and enable reports the file itself */ }
  }
  return dockerFirewall(clues);
}

/**
 * A firewall adapter that becomes the ip6tables or the nftables one on first use, for the rest of the run.
 * Docker's backend does not change under a running daemon; a restart with another backend is a new run's business
 * (doctor reports rules of ours left in the other place).
 */
export function selectingFirewall(detect: () => Promise<DockerFirewall>, make: Record<DockerFirewall['backend'], () => FirewallAdapter>): FirewallAdapter {
  let chosen: Promise<{ fw: FirewallAdapter; docker: DockerFirewall }> | undefined;
  // nothing is asked before the first use: most runs that build the adapters never touch the firewall
  const pick = () => (chosen ??= detect().then((docker) => {
    const fw = make[docker.backend]();
    self.kind = fw.kind;
    return { fw, docker };
  }));
  const self: FirewallAdapter = {
    async read(table) { return (await pick()).fw.read(table); },
    async restore(batch) { return (await pick()).fw.restore(batch); },
    async facts(): Promise<FirewallFacts> {
      const { fw, docker } = await pick();
      return { ...(await fw.facts()), docker };
    },
    async dockerMasquerades() { return (await pick()).fw.dockerMasquerades(); },
  };
  return self;
}
