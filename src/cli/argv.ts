// Splits the argv the docker CLI hands a plugin into docker's global flags and the plugin's own args.

/** Docker CLI global flags that may precede `ipv6` (docker 20.10 .. 28). */
export interface DockerGlobals {
  hosts: string[];
  context?: string;
  config?: string;
  debug: boolean;
  logLevel?: string;
  tls: boolean;
  tlsVerify: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export interface SplitArgv {
  docker: DockerGlobals;
  /** The plugin's own arguments (after `ipv6`, or everything when run directly). */
  args: string[];
  /** True when the docker CLI invoked us (`... ipv6 ...`), false when run as `docker-ipv6 <cmd>`. */
  viaDocker: boolean;
}

const VALUE_FLAGS: Record<string, keyof DockerGlobals> = {
  '-H': 'hosts', '--host': 'hosts',
  '-c': 'context', '--context': 'context',
  '--config': 'config',
  '-l': 'logLevel', '--log-level': 'logLevel',
  '--tlscacert': 'tlsCaCert', '--tlscert': 'tlsCert', '--tlskey': 'tlsKey',
};
const BOOL_FLAGS: Record<string, keyof DockerGlobals> = {
  '-D': 'debug', '--debug': 'debug', '--tls': 'tls', '--tlsverify': 'tlsVerify',
};

function emptyGlobals(): DockerGlobals {
  return { hosts: [], debug: false, tls: false, tlsVerify: false };
}

function setValue(g: DockerGlobals, key: keyof DockerGlobals, value: string): void {
  if (key === 'hosts') g.hosts.push(value);
  else (g as unknown as Record<string, unknown>)[key] = value;
}

/**
 * Consume leading docker global flags, then an optional `ipv6` token. Stops at the first token
 * that is neither, leaving it (and everything after) to the plugin's own parser.
 * `argv` excludes node and the script path.
 */
export function splitArgv(argv: readonly string[], pluginName = 'ipv6'): SplitArgv {
  const docker = emptyGlobals();
  let i = 0;
  while (i < argv.length) {
    const tok = argv[i];
    if (tok === pluginName) {
      return { docker, args: argv.slice(i + 1), viaDocker: true };
    }
    // `docker help ipv6 [cmd]` reaches the plugin as `help ipv6 [cmd]`
    if (tok === 'help' && argv[i + 1] === pluginName) {
      return { docker, args: ['help', ...argv.slice(i + 2)], viaDocker: true };
    }
    const eq = tok.startsWith('--') ? tok.indexOf('=') : -1;
    const name = eq > 0 ? tok.slice(0, eq) : tok;
    if (name in VALUE_FLAGS) {
      const key = VALUE_FLAGS[name];
      if (eq > 0) { setValue(docker, key, tok.slice(eq + 1)); i += 1; continue; }
      if (i + 1 >= argv.length) break; // dangling flag: let the plugin parser report it
      setValue(docker, key, argv[i + 1]);
      i += 2;
      continue;
    }
    // short flag with attached value: -Hunix:///x.sock, -cfoo, -ldebug
    if (/^-[Hcl]./.test(tok)) { setValue(docker, VALUE_FLAGS[tok.slice(0, 2)], tok.slice(2)); i += 1; continue; }
    if (name in BOOL_FLAGS) {
      const value = eq > 0 ? tok.slice(eq + 1) !== 'false' : true;
      (docker as unknown as Record<string, unknown>)[BOOL_FLAGS[name]] = value;
      i += 1;
      continue;
    }
    break;
  }
  return { docker, args: argv.slice(i), viaDocker: false };
}
