// Asks the local Docker for its networks, for the host collision rule. The only lint module that talks to Docker.
import type { HostNetwork } from './types';
import type { DockerApi } from '../host/interfaces';

export type HostNetworksResult = { ok: true; networks: HostNetwork[] } | { ok: false; reason: string };

/** The subset of a Docker network listing that matters here (GET /networks). */
export interface DockerNetworkInfo {
  Name?: string;
  Labels?: Record<string, string> | null;
  IPAM?: { Config?: Array<{ Subnet?: string }> | null } | null;
}

export function toHostNetworks(list: DockerNetworkInfo[]): HostNetwork[] {
  return list.map((n) => ({
    name: n.Name ?? '',
    subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => !!s),
    composeProject: n.Labels?.['com.docker.compose.project'],
    composeNetwork: n.Labels?.['com.docker.compose.network'],
  }));
}

/** Never throws: an unreachable daemon only turns the collision rule off, with the reason. */
export async function fetchHostNetworks(docker: Pick<DockerApi, 'connect'>, timeoutMs = 2000): Promise<HostNetworksResult> {
  try {
    const client = await docker.connect({ timeoutMs });
    return { ok: true, networks: toHostNetworks((await client.listNetworks()) as DockerNetworkInfo[]) };
  } catch (e) {
    return { ok: false, reason: (e as Error)?.message ?? String(e) };
  }
}
