#!/usr/bin/python
# -*- coding: utf-8 -*-
# An Ansible module for docker ipv6: runs the executable with --json on the target host and reports what it did.
# Check mode is --dry-run, with the plan as the diff; "changed" comes from the tool; failures carry its message and hint.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: docker_ipv6
short_description: Make a Docker host serve IPv6 with docker ipv6 (enable / disable)
description:
  - Runs C(docker ipv6 enable) or C(docker ipv6 disable) on the target host with C(--json) and reports what it changed.
  - Check mode runs the same command with C(--dry-run); the plan (daemon.json diff and steps) is the module's diff.
  - C(changed) is true only when the tool changed something; a second run reports no change.
  - enable and disable restart dockerd on that host; they stay per host (run them with C(serial) on a fleet).
options:
  state:
    description: C(enabled) runs enable, C(disabled) runs disable.
    choices: [enabled, disabled]
    default: enabled
  prefix:
    description: The IPv6 prefix (C(auto) generates a ULA /48), as C(--prefix).
  mode:
    description: How the prefix reaches outside, as C(--mode).
    choices: [auto, nat, routed, ndp]
  uplink:
    description: The uplink interface, as C(--uplink).
  restart_command:
    description: How to restart dockerd, as C(--restart-command).
  config_file:
    description: daemon.json, as C(--config-file).
  executable:
    description: The docker-ipv6 executable (default, the first of PATH, /usr/libexec/docker/cli-plugins, /usr/local/lib/docker/cli-plugins).
  environment_extra:
    description: Extra environment variables for the tool (DOCKER_HOST and the like).
    type: dict
'''

EXAMPLES = r'''
- name: IPv6 on every Docker host, one at a time (enable restarts dockerd)
  docker_ipv6:
    state: enabled
    prefix: 2001:db8:42::/48
    mode: routed
'''

import json
import os

from ansible.module_utils.basic import AnsibleModule

PLUGIN_DIRS = ['/usr/libexec/docker/cli-plugins', '/usr/local/lib/docker/cli-plugins', '/usr/lib/docker/cli-plugins']


def find_executable(module):
    exe = module.params['executable']
    if exe:
        return exe
    found = module.get_bin_path('docker-ipv6')
    if found:
        return found
    for d in PLUGIN_DIRS + [os.path.expanduser('~/.docker/cli-plugins')]:
        p = os.path.join(d, 'docker-ipv6')
        if os.access(p, os.X_OK):
            return p
    module.fail_json(msg='docker-ipv6 is not installed on this host', hint='install it first: apt install ./docker-ipv6_*.deb, or docker-ipv6 install')


def tool_error(stderr):
    """The tool's own error line and hint ("docker ipv6: error: ..." / "  hint: ...")."""
    msg, hint = None, None
    for line in stderr.splitlines():
        s = line.strip()
        if s.startswith('docker ipv6: error: ') or s.startswith('docker ipv6: internal error: '):
            msg = s.split(': ', 2)[2]
        elif s.startswith('hint: ') and msg is not None:
            hint = s[len('hint: '):]
    return msg, hint


def plan_diff(state, out):
    """The plan as Ansible's diff: daemon.json before/after as a unified diff, and the steps."""
    plan = out.get('plan') if isinstance(out.get('plan'), dict) else out
    lines = []
    dj = plan.get('daemonJson') or {}
    if isinstance(dj, dict) and dj.get('diff'):
        lines.append(dj['diff'].rstrip('\n'))
    steps = plan.get('steps') or out.get('steps') or []
    if steps:
        lines.append('steps (%s):' % ('enable' if state == 'enabled' else 'disable'))
        for i, s in enumerate(steps, 1):
            lines.append('  %d. %s' % (i, s.get('describe', s) if isinstance(s, dict) else s))
    return {'prepared': '\n'.join(lines) + '\n'} if lines else None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', default='enabled', choices=['enabled', 'disabled']),
            prefix=dict(type='str'),
            mode=dict(type='str', choices=['auto', 'nat', 'routed', 'ndp']),
            uplink=dict(type='str'),
            restart_command=dict(type='str'),
            config_file=dict(type='path'),
            executable=dict(type='path'),
            environment_extra=dict(type='dict', default={}),
        ),
        supports_check_mode=True,
    )
    p = module.params
    exe = find_executable(module)
    args = [exe, 'enable' if p['state'] == 'enabled' else 'disable', '--json', '--yes']
    if p['state'] == 'enabled':
        if p['prefix']:
            args += ['--prefix', p['prefix']]
        if p['mode']:
            args += ['--mode', p['mode']]
    elif p['prefix'] or p['mode']:
        module.fail_json(msg='prefix and mode belong to state=enabled', hint='remove them, or set state: enabled')
    for opt, flag in (('uplink', '--uplink'), ('restart_command', '--restart-command'), ('config_file', '--config-file')):
        if p[opt]:
            args += [flag, p[opt]]
    if module.check_mode:
        args.append('--dry-run')
    env = dict((str(k), str(v)) for k, v in (p['environment_extra'] or {}).items())
    rc, stdout, stderr = module.run_command(args, environ_update=env)
    if rc != 0:
        msg, hint = tool_error(stderr)
        module.fail_json(msg=msg or ('docker-ipv6 exited %d' % rc), hint=hint, rc=rc, cmd=args, stderr=stderr, stdout=stdout)
    try:
        out = json.loads(stdout)
    except ValueError:
        module.fail_json(msg='docker-ipv6 printed no JSON', rc=rc, cmd=args, stdout=stdout, stderr=stderr)
    if 'changed' in out:
        changed = bool(out['changed'])
    else:
        # a dry run's plan: it would change something unless the plan is empty
        changed = not out.get('noop', False) if p['state'] == 'enabled' else True
    result = dict(changed=changed, state=p['state'], result=out)
    if module._diff and changed:
        d = plan_diff(p['state'], out)
        if d:
            result['diff'] = d
    module.exit_json(**result)


if __name__ == '__main__':
    main()
