// The Ansible module (contrib/ansible) against a lab host, with ansible-core as installed by .ci/run: check mode is
// the plan as a diff and changes nothing, a real run changes, a second run reports no change, a refusal fails the task
// with the tool's message and hint, and state=disabled undoes it. The lab host is the target: its Python runs inside
// the lab (lab exec), so the module runs there as on a real host.
import test from 'ava';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capture, CLI, REPO, withLab } from '../helpers/lab';

interface TaskResult { changed: boolean; failed: boolean; stdout: string; error?: { msg?: string; hint?: string } }

/**
 * One run of the example playbook's role (contrib/ansible/roles/docker_ipv6) with these role variables, as an operator
 * runs it: the play recap says changed or not, --diff prints the plan, a failed task prints the module's result.
 */
async function play(dir: string, vars: Record<string, string>, check = false): Promise<TaskResult> {
  const v = Object.entries({ docker_ipv6_executable: CLI, ...vars }).map(([k, x]) => `        ${k}: "${x}"`).join('\n');
  writeFileSync(join(dir, 'play.yml'), `- hosts: lab\n  gather_facts: false\n  roles:\n    - role: docker_ipv6\n      vars:\n${v}\n`);
  const env = {
    ...process.env, ANSIBLE_LIBRARY: join(REPO, 'contrib/ansible/library'), ANSIBLE_ROLES_PATH: join(REPO, 'contrib/ansible/roles'),
    ANSIBLE_HOME: join(dir, 'home'), ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'), ANSIBLE_REMOTE_TEMP: join(dir, 'rtmp'), ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0',
  };
  const r = await capture(['ansible-playbook', '-i', join(dir, 'inventory'), join(dir, 'play.yml'), '--diff', ...(check ? ['--check'] : [])], { env, timeoutMs: 240_000 });
  const recap = /^lab\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)/m.exec(r.stdout);
  if (!recap) throw new Error(`no play recap:\n${r.stdout}\n${r.stderr}`);
  const fatal = /^fatal: \[lab\]: FAILED! => (\{.*\})$/m.exec(r.stdout);
  return { changed: recap[1] !== '0', failed: recap[2] !== '0', stdout: r.stdout, error: fatal ? JSON.parse(fatal[1]) as TaskResult['error'] : undefined };
}

test('ansible: check mode plans, a run changes once, a refusal carries the hint, disabled undoes it', async (t) => {
  if ((await capture(['ansible-playbook', '--version'])).code !== 0) throw new Error('ansible-playbook is missing: .ci/run installs ansible-core');
  await withLab(t, { prefix: 'ans' }, async (lab) => {
    const dir = mkdtempSync(join(tmpdir(), 'd6-ansible-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    // the target's Python runs inside the lab host, with the environment `lab exec` gives (DOCKER_HOST, the tool's root ...)
    const py = join(dir, 'lab-python');
    writeFileSync(py, `#!/bin/sh\nexec ${CLI} lab exec ${lab.name} -- /usr/bin/python3 "$@"\n`);
    chmodSync(py, 0o755);
    writeFileSync(join(dir, 'inventory'), `lab ansible_connection=local ansible_python_interpreter=${py}\n`);
    const enable = { docker_ipv6_state: 'enabled', docker_ipv6_prefix: 'auto', docker_ipv6_mode: 'nat' };
    const cfg = lab.record.dockerd.configFile;
    const original = readFileSync(cfg, 'utf8');

    const check = await play(dir, enable, true);
    t.false(check.failed, check.stdout);
    t.true(check.changed, 'check mode says it would change');
    t.regex(check.stdout, /\+\s+"ipv6": true/, 'the plan is the diff: daemon.json gains ipv6');
    t.regex(check.stdout, /steps \(enable\):\n\s+1\. /);
    t.is(readFileSync(cfg, 'utf8'), original, 'check mode changed nothing');

    const first = await play(dir, enable);
    t.false(first.failed, first.stdout);
    t.true(first.changed);
    t.regex(readFileSync(cfg, 'utf8'), /"ipv6": true/);
    const second = await play(dir, enable);
    t.false(second.failed, second.stdout);
    t.false(second.changed, 'a second run reports no change');

    const refused = await play(dir, { ...enable, docker_ipv6_prefix: '2001:db8::/200' });
    t.true(refused.failed);
    t.regex(refused.error?.msg ?? '', /2001:db8::\/200/, 'the tool\'s message');
    t.truthy(refused.error?.hint, 'and its hint');

    const off = await play(dir, { docker_ipv6_state: 'disabled' });
    t.false(off.failed, off.stdout);
    t.true(off.changed);
    t.is(readFileSync(cfg, 'utf8'), original, 'disable put daemon.json back byte for byte');
    const again = await play(dir, { docker_ipv6_state: 'disabled' });
    t.false(again.changed, 'nothing left to undo');
  });
});
