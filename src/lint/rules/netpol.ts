// NetworkPolicy rules: ipBlock CIDRs and their except lists, and rules that cover one address family only.
import { isMap, isSeq, type Node } from 'yaml';
import type { DocRule, RawFinding, RuleMeta, Span } from '../types';
import { parseCidr, contains, formatCidr, isAnyAddress, type Cidr } from '../../model/ip';
import { isPlaceholder } from '../interpolate';
import { nodeAt, spanOf } from '../source';

export const netpolRules: RuleMeta[] = [
  { id: 'k8s/netpol-cidr-invalid', severity: 'error', summary: 'a malformed ipBlock cidr or except entry' },
  { id: 'k8s/netpol-except-outside', severity: 'error', summary: 'an ipBlock except entry outside its cidr' },
  { id: 'k8s/netpol-single-family', severity: 'warning', summary: 'a rule that opens one address family only where the other needs the same rule' },
];

interface Block { cidr?: Cidr; text: string; span: Span; path: Array<string | number> }

/** ipBlocks of every peer list: spec.ingress[i].from and spec.egress[i].to. */
function peerLists(doc: Parameters<DocRule>[0]): Array<{ dir: 'ingress' | 'egress'; index: number; blocks: Block[] }> {
  const out: Array<{ dir: 'ingress' | 'egress'; index: number; blocks: Block[] }> = [];
  for (const dir of ['ingress', 'egress'] as const) {
    const rules = nodeAt(doc, ['spec', dir]);
    if (!isSeq(rules)) continue;
    rules.items.forEach((_r, index) => {
      const peers = nodeAt(doc, ['spec', dir, index, dir === 'ingress' ? 'from' : 'to']);
      if (!isSeq(peers)) return;
      const blocks: Block[] = [];
      peers.items.forEach((_p, pi) => {
        const path = ['spec', dir, index, dir === 'ingress' ? 'from' : 'to', pi, 'ipBlock'];
        const ib = nodeAt(doc, path);
        if (!isMap(ib)) return;
        const c = ib.get('cidr', true) as Node | undefined;
        const text = String(ib.get('cidr') ?? '');
        blocks.push({ cidr: parseCidr(text), text, span: c ? spanOf(c) : spanOf(ib), path });
      });
      out.push({ dir, index, blocks });
    });
  }
  return out;
}

const ipBlockChecks: DocRule = (doc) => {
  const out: RawFinding[] = [];
  for (const list of peerLists(doc)) {
    for (const b of list.blocks) {
      if (isPlaceholder(b.text)) continue;
      if (!b.cidr) {
        out.push({ rule: 'k8s/netpol-cidr-invalid', at: b.span, message: `ipBlock cidr "${b.text}" is not a CIDR prefix`, fix: 'write address/length, e.g. 2001:db8::/32 or 10.0.0.0/8' });
        continue;
      }
      if (b.cidr.hostBits) out.push({ rule: 'k8s/netpol-cidr-invalid', severity: 'warning', at: b.span, message: `ipBlock cidr "${b.text}" has host bits set`, fix: `write ${formatCidr(b.cidr)}` });
      const except = nodeAt(doc, [...b.path, 'except']);
      if (!isSeq(except)) continue;
      for (const item of except.items) {
        const text = String((item as any)?.value ?? '');
        const at = spanOf(item);
        const e = parseCidr(text);
        if (isPlaceholder(text)) continue;
        if (!e) out.push({ rule: 'k8s/netpol-cidr-invalid', at, message: `ipBlock except entry "${text}" is not a CIDR prefix`, fix: 'write address/length inside the block' });
        else if (e.family !== b.cidr.family) out.push({ rule: 'k8s/netpol-except-outside', at, message: `except ${text} is IPv${e.family} but its block ${b.text} is IPv${b.cidr.family}`, fix: 'put IPv4 and IPv6 exceptions under a block of their own family' });
        else if (!contains(b.cidr, e) || (e.start === b.cidr.start && e.end === b.cidr.end)) {
          out.push({ rule: 'k8s/netpol-except-outside', at, message: `except ${text} is not strictly inside its block ${b.text}: the API server rejects the policy`, fix: `narrow it to a prefix inside ${formatCidr(b.cidr)}, or drop it` });
        }
      }
    }
  }
  return out;
};

/**
 * In a dual-stack cluster a peer list that opens "everything" for one family only (0.0.0.0/0
 * without ::/0, or the reverse) silently denies the other family for the selected pods.
 * Peer lists of specific IPv4 blocks only are noted: their IPv6 equivalent cannot be guessed.
 */
const singleFamily: DocRule = (doc, ctx) => {
  if (!ctx.dualStack) return [];
  const out: RawFinding[] = [];
  for (const list of peerLists(doc)) {
    const good = list.blocks.filter((b) => b.cidr);
    if (good.length === 0) continue;
    const fams = new Set(good.map((b) => b.cidr!.family));
    if (fams.size !== 1) continue;
    const fam = good[0].cidr!.family;
    const other = fam === 4 ? 'IPv6' : 'IPv4';
    const any = good.find((b) => isAnyAddress(b.cidr!));
    const where = `${list.dir}[${list.index}]`;
    if (any) {
      out.push({
        rule: 'k8s/netpol-single-family',
        at: any.span,
        message: `${where} allows ${any.text} but no ${fam === 4 ? '::/0' : '0.0.0.0/0'}: ${other} ${list.dir} traffic of the selected pods is denied`,
        fix: `add an ipBlock with cidr ${fam === 4 ? '::/0' : '0.0.0.0/0'} to the same ${list.dir === 'ingress' ? 'from' : 'to'} list`,
      });
    } else if (fam === 4) {
      out.push({
        rule: 'k8s/netpol-single-family',
        severity: 'info',
        at: good[0].span,
        message: `${where} lists IPv4 ipBlocks only: IPv6 traffic from the same places is denied`,
        fix: 'add the IPv6 prefixes of the same sources as ipBlocks',
      });
    }
  }
  return out;
};

export const netpolDocRules: DocRule[] = [ipBlockChecks, singleFamily];
