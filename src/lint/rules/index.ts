// The rule table: which rules run on which document kind, and every rule's metadata (for SARIF and docs).
import type { DocKind, DocRule, RunRule, RuleMeta } from '../types';
import { composeRules, composeDocRules } from './compose';
import { portRules, portDocRules } from './ports';
import { kubeadmRules, kubeadmDocRules } from './kubeadm';
import { serviceRules, serviceDocRules } from './service';
import { netpolRules, netpolDocRules } from './netpol';
import { cniRules, cniDocRules, cniRunRules } from './cni';
import { composeValueRules, composeValueDocRules } from './compose-values';
import { fileRules } from './files';
import { planRules, planDocRules } from './plan';
import { clusterRules, clusterDocRules } from './clusters';
import { calicoRules, calicoDocRules, calicoRunRules } from './calico';
import { rangeRules, rangeDocRules } from './k8s-ranges';

export const RULES: RuleMeta[] = [...fileRules, ...composeRules, ...composeValueRules, ...portRules, ...kubeadmRules, ...clusterRules, ...rangeRules, ...serviceRules, ...netpolRules, ...calicoRules, ...cniRules, ...planRules];

export const RULES_BY_ID: ReadonlyMap<string, RuleMeta> = new Map(RULES.map((r) => [r.id, r]));

const PER_KIND: Array<Partial<Record<DocKind, DocRule[]>>> = [
  {
    compose: [...composeDocRules, ...composeValueDocRules, ...portDocRules],
    kubeadm: kubeadmDocRules,
    'k8s-service': serviceDocRules,
    'k8s-networkpolicy': netpolDocRules,
  },
  cniDocRules, calicoDocRules, clusterDocRules, rangeDocRules, planDocRules,
];

/** Every rule that runs on a kind, from all the rule files (several may add to one kind). */
export const DOC_RULES: Partial<Record<DocKind, DocRule[]>> = {};
for (const table of PER_KIND) {
  for (const [kind, rules] of Object.entries(table) as Array<[DocKind, DocRule[]]>) DOC_RULES[kind] = [...(DOC_RULES[kind] ?? []), ...rules];
}

export const RUN_RULES: RunRule[] = [...cniRunRules, ...calicoRunRules];
