// Which firewall backend Docker uses: the answering daemon first, then its flag, then daemon.json, else iptables.
import test from 'ava';
import { dockerFirewall } from '../../../src/model/firewall-backend';
import { detectDockerFirewall, selectingFirewall } from '../../../src/host/firewall-select';
import type { FirewallAdapter } from '../../../src/host/interfaces';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

test('docker info wins; a daemon that predates the field uses iptables', (t) => {
  t.deepEqual(dockerFirewall({ infoDriver: 'nftables', argv: ['dockerd', '--firewall-backend=iptables'], config: 'iptables' }), { backend: 'nftables', source: 'docker info' });
  t.deepEqual(dockerFirewall({ infoDriver: 'iptables+firewalld', config: 'nftables' }), { backend: 'iptables', source: 'docker info' });
  t.deepEqual(dockerFirewall({ infoDriver: '', config: 'nftables' }), { backend: 'iptables', source: 'docker info' });
});

test('Docker down or silent: the flag of its process, then daemon.json, then the default', (t) => {
  t.deepEqual(dockerFirewall({ argv: ['dockerd', '--firewall-backend', 'nftables'], config: 'iptables' }), { backend: 'nftables', source: 'dockerd flag' });
  t.deepEqual(dockerFirewall({ argv: ['dockerd', '-H', 'fd://'], config: 'nftables' }), { backend: 'nftables', source: 'daemon.json' });
  t.deepEqual(dockerFirewall({ config: 'bogus' }), { backend: 'iptables', source: 'default' });
  t.deepEqual(dockerFirewall({}), { backend: 'iptables', source: 'default' });
});

test('detection reads the flag only of the dockerd that uses our daemon.json, and the file when Docker does not answer', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'd6-fb-'));
  const cfg = join(dir, 'daemon.json');
  writeFileSync(cfg, '{ "firewall-backend": "nftables" }\n');
  const down = { infoDriver: async () => { throw new Error('no socket'); }, configFile: cfg };
  t.deepEqual(await detectDockerFirewall({ ...down, processes: async () => [] }), { backend: 'nftables', source: 'daemon.json' });
  const other = [{ pid: 9, argv: ['dockerd', '--config-file', '/elsewhere.json', '--firewall-backend=iptables'] }];
  t.deepEqual(await detectDockerFirewall({ ...down, processes: async () => other }), { backend: 'nftables', source: 'daemon.json' }, "another daemon's flag does not count");
  const ours = [{ pid: 9, argv: ['dockerd', '--config-file', cfg, '--firewall-backend=iptables'] }];
  t.deepEqual(await detectDockerFirewall({ ...down, processes: async () => ours }), { backend: 'iptables', source: 'dockerd flag' });
  t.deepEqual(await detectDockerFirewall({ infoDriver: async () => 'iptables', configFile: cfg, processes: async () => ours }), { backend: 'iptables', source: 'docker info' });
});

test('the selecting adapter asks once, on first use, and then is the chosen one for the whole run', async (t) => {
  let asked = 0;
  const made: string[] = [];
  const fake = (kind: 'ip6tables' | 'nftables'): FirewallAdapter => ({
    kind, read: async () => ({ [kind]: { chains: {}, rules: [] } }), restore: async () => undefined,
    facts: async () => ({ available: true, kind, tables: {} }), dockerMasquerades: async () => [],
  });
  const fw = selectingFirewall(async () => { asked++; return { backend: 'nftables', source: 'daemon.json' }; }, {
    iptables: () => { made.push('ip6tables'); return fake('ip6tables'); },
    nftables: () => { made.push('nftables'); return fake('nftables'); },
  });
  t.is(asked, 0, 'nothing asked before the first use');
  t.is(fw.kind, undefined);
  t.deepEqual(Object.keys(await fw.read()), ['nftables']);
  await fw.restore('');
  const facts = await fw.facts();
  t.deepEqual(facts.docker, { backend: 'nftables', source: 'daemon.json' });
  t.is(fw.kind, 'nftables');
  t.is(asked, 1);
  t.deepEqual(made, ['nftables']);
});
