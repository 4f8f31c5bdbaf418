// status names the firewall where our rules live: nft with Docker's nftables backend (never "ip6tables ... (undefined)").
import test from 'ava';
import { statusJson, statusText } from '../../../src/status/status';
import { snapshot } from '../../helpers/snapshot';

test('nftables backend: a Firewall line with nft and our table; --json has the kind and Docker\'s backend', (t) => {
  const s = snapshot({ firewall: { available: true, kind: 'nftables', version: '1.0.6', docker: { backend: 'nftables', source: 'docker info', driver: 'nftables' }, tables: {} } });
  const text = statusText(s, { running: false });
  t.regex(text, /^Firewall {5}nft 1\.0\.6 \(Docker's nftables backend; our rules in table ip6 docker-ipv6\)$/m);
  t.notRegex(text, /undefined/);
  const j = statusJson(s, { running: false }) as { firewall: { kind: string; docker: { backend: string } } };
  t.is(j.firewall.kind, 'nftables');
  t.is(j.firewall.docker.backend, 'nftables');
  const ipt = statusText(snapshot({ firewall: { available: true, kind: 'ip6tables', version: '1.8.9', backend: 'nf_tables', tables: {} } }), { running: false });
  t.regex(ipt, /^ip6tables {4}1\.8\.9 \(nf_tables\)$/m);
});
