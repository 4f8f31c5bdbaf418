// The tool's saved state as data: the prefix, the mode and what enable changed (pure types).
import type { DaemonJsonUndo } from '../daemon/edit';

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
  };
  /** Routes and NDP proxy entries we installed (the agent keeps them). */
  routes?: string[];
  proxies?: Array<{ address: string; ifname: string }>;
  /** IPv6 subnets handed out to networks from the prefix. */
  allocations?: Record<string, string>;
}

export function emptyState(): ToolState {
  return { version: 1 };
}
