// Strict fake of the read-only firewall survey: answers what the test put in, and counts every look.
import type { FirewallSurvey, XtablesVariant } from '../../src/host/interfaces';
import { parseSave, type ParsedRuleset } from '../../src/model/ip6tables-save';

export class FakeSurvey implements FirewallSurvey {
  /** `${family}-${variant}` -> save text; absent: that variant is not there */
  saves: Record<string, string> = {};
  tables?: Array<{ family: string; name: string }>;
  firewalld?: 'running' | 'not running';
  looks: string[] = [];

  async xtables(family: 4 | 6, variant: XtablesVariant): Promise<ParsedRuleset | undefined> {
    if (family !== 4 && family !== 6) throw new Error(`fake survey: no IPv${String(family)}`);
    this.looks.push(`xtables ${family} ${variant}`);
    const text = this.saves[`${family}-${variant}`];
    return text === undefined ? undefined : parseSave(text);
  }

  async nftTables(): Promise<Array<{ family: string; name: string }> | undefined> {
    this.looks.push('nft tables');
    return this.tables;
  }

  async firewalldState(): Promise<'running' | 'not running' | undefined> {
    this.looks.push('firewalld');
    return this.firewalld;
  }
}
