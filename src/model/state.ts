// The tool's saved state as data: the prefix, the mode and what enable changed (pure types).

/** A key's value before our edit: absent, or present (with its original text, for a byte-exact restore). */
export type Prior = { readonly absent: true } | { value: unknown; raw?: string };
export const ABSENT: Prior = Object.freeze({ absent: true as const });
export function isAbsent(p: Prior): p is { readonly absent: true } { return 'absent' in p; }

/** What `restoreKeys` needs; plain JSON so it can live in the state file. */
export interface DaemonJsonUndo {
  previous: Record<string, Prior>;
  /** The whole original text when it held no keys at all ("", "{}", "null", ...). */
  emptyText?: string;
}

export type Mode = 'nat' | 'routed' | 'ndp';

export interface ToolState {
  version: 1;
  /** The host's IPv6 prefix: a generated ULA /48, or the prefix the user gave. */
  prefix?: string;
  mode?: Mode;
  uplink?: string;
  /** Present while enabled: what enable changed, so disable can put it back exactly. */
  enabled?: {
    at: string;
    /** restoreKeys() input (src/daemon/edit.ts): the previous value of every key we set */
    daemonJson: { path: string; undo: DaemonJsonUndo; fileExisted: boolean };
    sysctls: Record<string, string>;
    sysctlFileWritten: boolean;
    natByUs: boolean;
    filterByUs: boolean;
    /** ip6tables' FORWARD policy before enable: Docker's ip6tables support sets DROP, and does not put it back when it goes off */
    forwardPolicyBefore?: 'ACCEPT' | 'DROP';
    /** what enable did with our systemd units (disable undoes exactly this, nothing else): files it wrote, units it enabled and started */
    services?: { wrote?: string[]; enabled?: string[]; started?: string[] };
  };
  /** Routes and NDP proxy entries we installed (the agent keeps them). */
  routes?: string[];
  proxies?: Array<{ address: string; ifname: string }>;
  /**
   * Docker bridges with names of their own (not docker0 / br-*) that our filter lists: the boot skeleton
   * closes them before Docker runs (the catch-alls close the rest).
   */
  bridges?: string[];
  /** NDP proxy entries that were there before enable for addresses it serves: someone else's, never ours to remove */
  foreignProxies?: Array<{ address: string; ifname: string }>;
  /** IPv6 subnets handed out to networks from the prefix. */
  allocations?: Record<string, string>;
}

/** The state file's bytes (the adapter writes exactly these; a journal records their sha256). */
export function renderStateText(state: ToolState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

export function emptyState(): ToolState {
  return { version: 1 };
}

/** Whether the saved mode follows Docker's events (our filter, our NAT or NDP proxy entries): the agent must run. */
export function agentNeeded(s: Pick<ToolState, 'mode' | 'enabled'>): boolean {
  return !!s.enabled && (s.enabled.filterByUs || s.enabled.natByUs || s.mode === 'ndp');
}
