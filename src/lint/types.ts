// Shared shapes of the linter: documents, findings, rule metadata and the options a run takes.
import type { Document, LineCounter } from 'yaml';

export type Severity = 'error' | 'warning' | 'info';

export type DocKind =
  | 'compose'
  | 'kubeadm'
  | 'k8s-service'
  | 'k8s-networkpolicy'
  | 'k8s-other'
  | 'calico-ippool'
  | 'flannel-configmap'
  | 'flannel-netconf'
  | 'cilium-values'
  | 'calico-node'
  | 'calico-installation'
  | 'calico-values'
  | 'kind-cluster'
  | 'capi-cluster'
  | 'cni-config'
  | 'unknown';

/** One input file (or stdin) as text. */
export interface Source {
  /** The name shown in findings: the path as given, or "-" for stdin. */
  file: string;
  text: string;
}

/** A span in the source text as offsets; the engine turns it into line:col. */
export interface Span {
  start: number;
  end: number;
}

/** One YAML document of a source, with its detected kind. */
export interface LintDoc {
  file: string;
  text: string;
  lineCounter: LineCounter;
  /** index of the document within its file (multi-document YAML) */
  index: number;
  doc: Document.Parsed;
  kind: DocKind;
  /** data read from the document (plain JS; Compose values interpolated where they resolve) */
  data: any;
  /** where the document sits in its YAML document: [] or ['items', i] for a `kind: List` item */
  base: Array<string | number>;
  /** Compose: variable values known to lint (--env-file, --use-env); defaults apply without them */
  env?: Readonly<Record<string, string>>;
  /** Compose: values left with variables that have no known value (skipped by the rules) */
  unresolved?: Array<{ path: Array<string | number>; text: string; missing: string[] }>;
}

/** What a rule reports: positions as a span; the engine adds file, line and column. */
export interface RawFinding {
  rule: string;
  message: string;
  fix: string;
  at: Span;
  /** when a finding is milder or graver than the rule's default */
  severity?: Severity;
}

export interface Finding {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  severity: Severity;
  rule: string;
  message: string;
  fix: string;
  /** where in the document, as keys and indexes ("services.web.ports[1]"); '' for a finding about the whole file */
  path: string;
  /**
   * The finding's identity apart from its file and position: rule, path without indexes, and the text it points at
   * (blanks collapsed). Stable across runs and line moves; SARIF's partialFingerprints are made from it.
   */
  fingerprint: string;
}

export interface RuleMeta {
  id: string;
  severity: Severity;
  /** one line: what the rule checks */
  summary: string;
  /** a "this has no IPv6" rule: it applies only where the file shows IPv6 intent or the user asks */
  gated?: boolean;
  /** reported at most once per file (the first occurrence) */
  oncePerFile?: boolean;
}

/** A Docker network on the host, as far as the collision rule needs it. */
export interface HostNetwork {
  name: string;
  subnets: string[];
  /** compose labels, so a project's own running networks are not taken for collisions */
  composeProject?: string;
  composeNetwork?: string;
}

export interface RuleContext {
  /** true when the inputs as a whole aim at dual-stack (or --dual-stack was given) */
  dualStack: boolean;
  /** the user asked for IPv6 (--require-ipv6) or dual-stack (--dual-stack) explicitly */
  forced: boolean;
  /** --dual-stack was given: explicit single-family choices are no longer respected */
  dualStackFlag: boolean;
  /** undefined when the host could not be asked: the collision rule is then skipped */
  hostNetworks?: HostNetwork[];
}

export type DocRule = (doc: LintDoc, ctx: RuleContext) => RawFinding[];
/** Rules that need every document of the run at once (a missing IPv6 pool across files). */
export type RunRule = (docs: LintDoc[], ctx: RuleContext) => Array<RawFinding & { doc: LintDoc }>;
