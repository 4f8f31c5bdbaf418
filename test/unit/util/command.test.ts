// --restart-command's one rule: words as a shell splits them, no shell; joinCommand prints argv so it splits back the same.
import test from 'ava';
import { joinCommand, splitCommand } from '../../../src/util/command';

test('joinCommand and splitCommand round-trip: spaces, quotes of both kinds, an empty word, a dollar that no shell expands', (t) => {
  for (const argv of [
    ['systemctl', 'restart', 'docker.service'],
    ['/opt/my tools/restart docker', '--now'],
    ['sh', '-c', 'systemctl restart docker && echo "done $HOME"'],
    ['echo', "it's", ''],
  ]) t.deepEqual(splitCommand(joinCommand(argv)), argv, joinCommand(argv));
  t.is(joinCommand(['systemctl', 'restart', 'docker.service']), 'systemctl restart docker.service', 'plain words stay plain');
  t.deepEqual(splitCommand('service docker restart && rm -rf /'), ['service', 'docker', 'restart', '&&', 'rm', '-rf', '/'], 'no shell: && is a word');
});
