// Metadata of the run-level findings the engine makes itself: unparsable files, skipped templates, no IPv6 intent.
import type { RuleMeta } from '../types';

export const fileRules: RuleMeta[] = [
  { id: 'file/unparsable', severity: 'error', summary: 'the file (or a YAML document of it) does not parse; the rest of the run goes on' },
  { id: 'file/too-large', severity: 'error', summary: 'the file holds more YAML tokens than lint parses in bounded memory (about 1 MiB of dense YAML): not linted; the rest of the run goes on' },
  { id: 'file/template-skipped', severity: 'info', summary: 'a Helm/Go template ({{ ... }}) was detected and skipped' },
  { id: 'ipv6/no-intent', severity: 'info', summary: 'the file shows no IPv6 intent, so the "this has no IPv6" rules were not applied (once per file)' },
];
