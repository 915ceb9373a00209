import t from 'tap';
import { matchRules, diagnoseReport } from '../../../src/diagnose/diagnose-report.js';
import { findingSchema } from '../../../src/model/finding.js';
import { RULES } from '../../../src/diagnose/rules/index.js';
import { alertReport } from './job-report-builder.js';
import { CASES } from './rule-cases.js';

t.test('every rule has at least one positive case and one near-miss', async (t) => {
  for (const rule of RULES) {
    const cases = CASES[rule.id];
    t.ok(cases !== undefined && cases.positive.length > 0 && cases.nearMiss.length > 0, `${rule.id} has cases`);
  }
  const known = new Set(RULES.map((r) => r.id));
  for (const id of Object.keys(CASES)) t.ok(known.has(id), `case table entry ${id} names a rule`);
});

for (const rule of RULES) {
  const cases = CASES[rule.id];
  if (cases === undefined) continue;
  t.test(rule.id, async (t) => {
    for (const c of cases.positive) {
      t.test(`matches: ${c.name}`, async (t) => {
        const found = matchRules(c.report).find((m) => m.rule.id === rule.id);
        if (found === undefined) {
          t.fail(`${rule.id} did not match`);
          return;
        }
        const { finding } = found;
        t.ok(findingSchema.safeParse(finding).success, 'the finding fits the Finding schema');
        if (c.evidence !== undefined) t.match(finding.evidence, c.evidence, 'evidence quotes the matched line');
        if (c.title !== undefined) t.match(finding.title, c.title, 'title');
        if (c.hint !== undefined) t.match(finding.hint, c.hint, 'hint');
        t.ok(finding.title.length > 0 && finding.hint.length > 0, 'texts are not empty');
        t.notMatch(finding.title, /undefined|\?\?|\s{2}/, 'no placeholders or double spaces in the title');
        t.notMatch(finding.hint, /undefined/, 'no undefined in the hint');
        t.match(finding.docs, /^https:\/\//, 'docs link is https');
        // The full pipeline says something for every positive: a rule may be superseded, never silenced.
        t.ok(diagnoseReport(alertReport(c.report)).length > 0, 'diagnoseReport returns a finding');
      });
    }
    for (const c of cases.nearMiss) {
      t.test(`does not match: ${c.name}`, async (t) => {
        const ids = matchRules(c.report).map((m) => m.rule.id);
        t.notOk(ids.includes(rule.id), `${rule.id} stays silent (got ${ids.join(', ') || 'nothing'})`);
      });
    }
  });
}
