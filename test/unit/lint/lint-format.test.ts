import t from 'tap';
import { escapeData, escapeProperty, formatGithub } from '../../../src/lint/format/format-github.js';
import { formatJson } from '../../../src/lint/format/format-json.js';
import { formatText } from '../../../src/lint/format/format-text.js';
import { exitCodeFor, lintReportSchema, type LintFinding } from '../../../src/lint/lint-finding.js';

const finding = (over: Partial<LintFinding> = {}): LintFinding => ({
  ruleId: 'hook-ref-applied-late',
  severity: 'error',
  file: 'deploy/app,v2:prod.yaml',
  documentIndex: 1,
  itemIndex: null,
  line: 12,
  helmSource: null,
  object: { apiVersion: 'batch/v1', kind: 'Job', namespace: 'pay', name: 'migrate', generateName: null },
  message: '100% broken:\nline two\r',
  fix: 'do this, then that',
  ...over,
});

t.test('GitHub workflow command escaping (as @actions/core)', async (t) => {
  t.equal(escapeData('a%b\r\nc:d,e'), 'a%25b%0D%0Ac:d,e');
  t.equal(escapeProperty('a%b\r\nc:d,e'), 'a%25b%0D%0Ac%3Ad%2Ce');
});

t.test('--format github: one annotation per finding, levels, escaped file and title', async (t) => {
  const out = formatGithub([finding(), finding({ severity: 'warning', line: 3 }), finding({ severity: 'info', file: '<stdin>', helmSource: 'c/templates/job.yaml' })]);
  const lines = out.split('\n').filter((l) => l !== '');
  t.equal(lines.length, 3, 'messages with newlines stay on one line');
  t.equal(
    lines[0],
    '::error file=deploy/app%2Cv2%3Aprod.yaml,line=12,title=hook-ref-applied-late%3A Job pay/migrate::100%25 broken:%0Aline two%0D%0AFix: do this, then that',
  );
  t.match(lines[1], /^::warning file=.*,line=3,/);
  t.match(lines[2], /^::notice title=hook-ref-applied-late%3A Job pay\/migrate::/, 'info is notice; stdin has no file');
  t.match(lines[2], /\(helm template c\/templates\/job\.yaml\)/);
});

t.test('--format json validates against the report schema', async (t) => {
  const parsed = lintReportSchema.parse(JSON.parse(formatJson([finding(), finding({ severity: 'info' })], { files: 2, objects: 7 })));
  t.same(parsed.summary, { files: 2, objects: 7, error: 1, warning: 0, info: 1 });
  t.equal(parsed.findings[0]?.message, '100% broken:\nline two\r');
});

t.test('text: colour only when asked', async (t) => {
  const plain = formatText([finding()], { files: 1, objects: 3 }, { color: false });
  t.notOk(plain.includes('\u001b['));
  t.match(plain, /^deploy\/app,v2:prod\.yaml:12 error hook-ref-applied-late {2}Job pay\/migrate \(document 1\)$/m);
  t.match(plain, /^ {2}fix: do this, then that$/m);
  t.match(plain, /1 error, 0 warnings, 0 info in 3 objects in 1 file\n$/);
  const colored = formatText([finding()], { files: 1, objects: 3 }, { color: true });
  t.ok(colored.includes('\u001b[31merror'), 'severity in red');
  t.equal(formatText([], { files: 1, objects: 1 }, { color: false }), 'no findings in 1 object in 1 file\n');
});

t.test('--fail-on thresholds', async (t) => {
  const warn = [finding({ severity: 'warning' })];
  t.equal(exitCodeFor([], 'info'), 0);
  t.equal(exitCodeFor(warn, 'error'), 0);
  t.equal(exitCodeFor(warn, 'warning'), 1);
  t.equal(exitCodeFor(warn, 'info'), 1);
  t.equal(exitCodeFor([finding({ severity: 'info' })], 'warning'), 0);
  t.equal(exitCodeFor([finding()], 'never'), 0);
  t.equal(exitCodeFor([finding()], 'error'), 1);
});
