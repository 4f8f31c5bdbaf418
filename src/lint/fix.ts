// --fix for Compose files: adds enable_ipv6 and an IPv6 subnet, drops `version`, by splicing text so
// everything else (comments, order, quoting, indentation) stays byte for byte.
import { isMap, isSeq, isScalar, stringify, type Node, type Pair, type YAMLMap } from 'yaml';
import type { LintDoc } from './types';
import { composeModel, type ComposeNetwork } from './compose-model';
import { parseCidr } from '../model/ip';
import { nodeAt, pairOf } from './source';

interface Edit { start: number; end: number; insert: string; seq: number }

export interface ComposeFix {
  text: string;
  /** one line per change, for people */
  changes: string[];
}

/** Returns the subnet to give a network (the caller tracks what is taken). */
export type Allocator = (network: string) => string;

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}
function nextLine(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl < 0 ? text.length : nl + 1;
}
function colOf(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}
function findPair(map: YAMLMap, key: string): Pair<any, any> | undefined {
  return map.items.find((p) => isScalar(p.key) && p.key.value === key);
}

/** Indentation style of the file: the step between nesting levels and whether "- " items are indented. */
export function detectStyle(text: string): { unit: number; indentSeq: boolean } {
  const lines = text.split('\n');
  let unit = 0;
  let indentSeq = true;
  let sawSeq = false;
  // the next line with content after each line, found in one backward pass (searching forward from every line was quadratic)
  const nextContent: Array<string | undefined> = new Array(lines.length);
  for (let i = lines.length - 1, seen: string | undefined; i >= 0; i--) {
    nextContent[i] = seen;
    const tr = lines[i].trim();
    if (tr && !tr.startsWith('#')) seen = lines[i];
  }
  for (let i = 0; i + 1 < lines.length; i++) {
    if (unit && sawSeq) break;
    const m = /^(\s*)[^\s#-][^:#]*:\s*(#.*)?$/.exec(lines[i]);
    if (!m) continue;
    const next = nextContent[i];
    if (!next) continue;
    const ind = next.length - next.trimStart().length;
    if (next.trimStart().startsWith('- ') && !sawSeq) { sawSeq = true; indentSeq = ind > m[1].length; }
    else if (!unit && ind > m[1].length) unit = ind - m[1].length;
  }
  return { unit: unit || 2, indentSeq };
}

export function fixCompose(doc: LintDoc, allocate: Allocator): ComposeFix {
  const text = doc.text;
  const { unit, indentSeq } = detectStyle(text);
  const sp = (n: number) => ' '.repeat(n);
  const edits: Edit[] = [];
  const changes: string[] = [];
  const add = (start: number, end: number, insert: string) => {
    // deleting a value must not leave "key: " with trailing blanks
    if (insert === '' && end > start) while (start > 0 && text[start - 1] === ' ') start--;
    edits.push({ start, end, insert, seq: edits.length });
  };
  const atLineEnd = (offset: number) => (offset > 0 && text[offset - 1] !== '\n' ? '\n' : '');
  /** a list entry "- subnet: X" under a key at column `col` */
  const subnetItem = (col: number, subnet: string) => `${sp(col + (indentSeq ? unit : 0))}- subnet: ${subnet}\n`;
  const ipamBlock = (col: number, subnet: string) => `${sp(col)}ipam:\n${sp(col + unit)}config:\n${subnetItem(col + unit, subnet)}`;

  const root = doc.doc.contents as Node | null;
  if (!isMap(root)) return { text, changes };
  const model = composeModel(doc);
  const netsPair = findPair(root, 'networks');

  const wanted = (n: ComposeNetwork) => {
    if (n.external || n.driver === 'host' || n.driver === 'none') return { enable: false, subnet: false };
    // an interpolated value is the user's to set: --fix never rewrites one, nor guesses around one
    const body = nodeAt(doc, ['networks', n.name]);
    const flow = isMap(body) && body.flow && body.range && text.slice(body.range[0], body.range[1]).includes('$');
    const enableRaw = nodeAt(doc, ['networks', n.name, 'enable_ipv6']);
    if (n.enableUnknown || flow || (isScalar(enableRaw) && String(enableRaw.source ?? enableRaw.value).includes('$')) || n.ipam.some((e) => e.subnet?.unresolved)) return { enable: false, subnet: false };
    const enable = !n.enableIpv6 && n.usedBy.length > 0;
    const hasV6 = n.ipam.some((e) => e.subnet && parseCidr(e.subnet.text)?.family === 6);
    return { enable, subnet: (enable || n.enableIpv6) && !hasV6 };
  };

  /** A whole network body rendered as block YAML under a key at column `col`. */
  const blockBody = (obj: Record<string, unknown>, col: number) =>
    stringify(obj, { indent: unit, indentSeq }).split('\n').filter((l) => l !== '').map((l) => `${sp(col + unit)}${l}\n`).join('');

  for (const n of model.networks) {
    const w = wanted(n);
    if (!w.enable && !w.subnet) continue;
    const subnet = w.subnet ? allocate(n.name) : undefined;
    changes.push(`network "${n.name}": ${[w.enable && 'enable_ipv6: true', subnet && `IPv6 subnet ${subnet}`].filter(Boolean).join(', ')}`);
    const bodyObj = (base: unknown) => ({
      ...(base && typeof base === 'object' ? base : {}),
      ...(w.enable ? { enable_ipv6: true } : {}),
      ...(subnet ? { ipam: { ...((base as any)?.ipam ?? {}), config: [...((base as any)?.ipam?.config ?? []), { subnet }] } } : {}),
    });

    if (!n.declared) {
      // the implicit default network: declare it
      const entryCol = (c: number) => `${sp(c)}default:\n${blockBody(bodyObj({}), c)}`;
      const nets = netsPair?.value as Node | null | undefined;
      if (netsPair && isMap(nets) && !nets.flow && nets.items.length) {
        const col = colOf(text, (nets.items[0].key as Node).range![0]);
        add(nextLine(text, (netsPair.key as Node).range![1]), nextLine(text, (netsPair.key as Node).range![1]), entryCol(col));
      } else if (netsPair) {
        const keyNode = netsPair.key as Node;
        if (nets && isScalar(nets) || (nets && (nets as any).flow)) add(nets!.range![0], nets!.range![1], '');
        const at = nextLine(text, keyNode.range![1]);
        add(at, at, atLineEnd(at) + entryCol(colOf(text, keyNode.range![0]) + unit));
      } else {
        const end = root.range![2];
        add(end, end, `${atLineEnd(end)}networks:\n${entryCol(unit)}`);
      }
      continue;
    }

    const netsMap = netsPair!.value as YAMLMap;
    const pair = pairOf(netsMap, n.name)!;
    const keyNode = pair.key as Node;
    const keyCol = colOf(text, keyNode.range![0]);
    const afterKey = nextLine(text, keyNode.range![1]);
    const body = pair.value as Node | null;
    if (!isMap(body) || body.flow || body.items.length === 0) {
      // empty, null or flow-style body: rewrite it as a block
      if (body?.range && body.range[1] > body.range[0]) add(body.range[0], body.range[1], '');
      add(afterKey, afterKey, atLineEnd(afterKey) + blockBody(bodyObj(isMap(body) ? body.toJSON() : {}), keyCol));
      continue;
    }
    const childCol = colOf(text, (body.items[0].key as Node).range![0]);
    if (w.enable) {
      const ep = findPair(body, 'enable_ipv6');
      if (ep && isScalar(ep.value) && ep.value.range) add(ep.value.range[0], ep.value.range[1], 'true');
      else add(afterKey, afterKey, `${sp(childCol)}enable_ipv6: true\n`);
    }
    if (!subnet) continue;
    const ipamPair = findPair(body, 'ipam');
    const ipam = ipamPair?.value as Node | null | undefined;
    if (!ipamPair) {
      add(afterKey, afterKey, ipamBlock(childCol, subnet));
    } else if (isMap(ipam) && !ipam.flow && ipam.items.length) {
      const ipamCol = colOf(text, (ipam.items[0].key as Node).range![0]);
      const cfgPair = findPair(ipam, 'config');
      const cfg = cfgPair?.value as Node | null | undefined;
      if (!cfgPair) {
        const at = nextLine(text, (ipamPair.key as Node).range![1]);
        add(at, at, `${sp(ipamCol)}config:\n${subnetItem(ipamCol, subnet)}`);
      } else if (isSeq(cfg) && !cfg.flow && cfg.items.length) {
        const last = cfg.items[cfg.items.length - 1] as Node;
        const at = nextLine(text, Math.max(last.range![1] - 1, last.range![0]));
        add(at, at, atLineEnd(at) + `${sp(colOf(text, cfg.range![0]))}- subnet: ${subnet}\n`);
      } else {
        const list = [...(isSeq(cfg) ? (cfg.toJSON() as unknown[]) : []), { subnet }];
        const cfgKey = cfgPair.key as Node;
        if (cfg?.range && cfg.range[1] > cfg.range[0]) add(cfg.range[0], cfg.range[1], '');
        const at = nextLine(text, cfgKey.range![1]);
        const items = stringify(list, { indent: unit, indentSeq }).split('\n').filter(Boolean);
        add(at, at, atLineEnd(at) + items.map((l) => `${sp(ipamCol + (indentSeq ? unit : 0))}${l}\n`).join(''));
      }
    } else {
      const ipamKey = ipamPair.key as Node;
      if (ipam?.range && ipam.range[1] > ipam.range[0]) add(ipam.range[0], ipam.range[1], '');
      const at = nextLine(text, ipamKey.range![1]);
      const merged = { ...(isMap(ipam) ? ipam.toJSON() : {}), config: [{ subnet }] };
      add(at, at, atLineEnd(at) + stringify(merged, { indent: unit, indentSeq }).split('\n').filter(Boolean).map((l) => `${sp(childCol + unit)}${l}\n`).join(''));
    }
  }

  const version = findPair(root, 'version');
  if (version) {
    const start = lineStart(text, (version.key as Node).range![0]);
    const v = version.value as Node | null;
    add(start, nextLine(text, v?.range ? Math.max(v.range[1] - 1, v.range[0]) : (version.key as Node).range![1]), '');
    changes.push('removed the obsolete top-level "version"');
  }

  // applied in one pass over the text (splicing edit by edit copied the whole text each time)
  edits.sort((a, b) => a.start - b.start || a.seq - b.seq);
  const parts: string[] = [];
  let at = 0;
  for (const e of edits) {
    const start = Math.max(e.start, at); // an insertion inside text an earlier edit replaced lands after it
    parts.push(text.slice(at, start), e.insert);
    at = Math.max(at, e.end);
  }
  parts.push(text.slice(at));
  return { text: parts.join(''), changes };
}
