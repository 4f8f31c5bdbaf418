// Which Docker daemon a run talks to, as data (resolved in cli/endpoint.ts).

export interface TlsMaterial {
  ca?: string; // paths
  cert?: string;
  key?: string;
  verify: boolean;
}

export interface Endpoint {
  /** unix:///path, tcp://host:port, ssh://user@host, npipe://... */
  host: string;
  tls?: TlsMaterial;
  /** Where the endpoint came from: "--host", "DOCKER_HOST", "context foo", "default". */
  source: string;
  /** True when the daemon runs on this machine (a unix socket, or tcp to loopback). */
  local: boolean;
}
