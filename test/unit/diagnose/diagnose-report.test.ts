import t from 'tap';
import { diagnoseReport, MAX_FINDINGS } from '../../../src/diagnose/diagnose-report.js';
import { MAX_EVIDENCE_CHARS, patternsOf } from '../../../src/diagnose/matchers.js';
import { RULES } from '../../../src/diagnose/rules/index.js';
import {
  alertReport,
  container,
  event,
  failedWithLog,
  fixture,
  jobInfo,
  jobReport,
  pod,
  terminated,
  waiting,
} from './job-report-builder.js';
import { adversarialLines, noiseLog } from './noise-log.js';

const ids = (findings: { id: string }[]): string[] => findings.map((f) => f.id);

t.test('a 64 KiB log of unrelated noise produces no finding', async (t) => {
  const log = noiseLog();
  t.ok(log.length >= 64 * 1024 - 200, 'the noise is about 64 KiB');
  const report = alertReport(failedWithLog(log));
  t.same(diagnoseReport(report), []);
});

t.test('a report with nothing recognisable produces no finding (no guessing)', async (t) => {
  t.same(diagnoseReport(alertReport()), [], 'no hooks');
  t.same(diagnoseReport(alertReport(jobReport())), [], 'BackoffLimitExceeded with no pods, events or logs');
  t.same(diagnoseReport(alertReport(failedWithLog('Error: something unexpected happened\nexit status 1'))), [], 'an unknown error');
});

t.test('the log of a container that succeeded is not diagnosed', async (t) => {
  // A wait-for-db init container logs refusals until the database is up, then exits 0.
  const init = container({
    name: 'wait-for-db',
    init: true,
    current: terminated(0, 'Completed'),
    log: 'Error: connect ECONNREFUSED 10.43.12.7:5432\nError: connect ECONNREFUSED 10.43.12.7:5432\ndatabase is up',
  });
  const main = container({ log: 'Error: something unexpected happened' });
  t.same(diagnoseReport(alertReport(jobReport({ pods: [pod('db-migrate-x7k2p', [init, main])] }))), []);
});

t.test('a tool-specific finding comes before the generic ones', async (t) => {
  const report = jobReport({
    pods: ['x7k2p', 'q9m4d', 'b2c8v'].map((suffix) =>
      pod(`db-migrate-${suffix}`, [container({ log: fixture('flyway-checksum-mismatch.log') })]),
    ),
  });
  const findings = diagnoseReport(alertReport(report));
  t.same(ids(findings), ['flyway.checksum-mismatch', 'kubernetes.backoff-same-error']);
  t.equal(findings[0]?.evidence, 'Migration checksum mismatch for migration version 3');
  t.match(findings[1]?.title, /All 3 attempts failed the same way \(exit 1\)/);
});

t.test('a database error comes before the migration tool\'s "failed to apply"', async (t) => {
  t.same(ids(diagnoseReport(alertReport(failedWithLog(fixture('prisma-p3018.log'))))), [
    'database.postgres-already-exists',
    'prisma.migration-failed',
  ]);
});

t.test('the generic "migration failed" is a fallback only', async (t) => {
  t.same(ids(diagnoseReport(alertReport(failedWithLog(fixture('flyway-sql-error.log'))))), ['database.postgres-already-exists']);
  t.same(ids(diagnoseReport(alertReport(failedWithLog(fixture('golang-migrate-sql-error.log'))))), ['database.postgres-already-exists']);
  t.same(
    ids(diagnoseReport(alertReport(failedWithLog('ERROR: Migration of schema "public" to version "5 - x" failed! Changes successfully rolled back.')))),
    ['generic.migration-failed'],
  );
});

t.test('a specific rule drops the less precise rule it supersedes', async (t) => {
  t.same(ids(diagnoseReport(alertReport(failedWithLog(fixture('rails-duplicate-table.log'))))), ['rails.duplicate-table']);
  t.same(ids(diagnoseReport(alertReport(failedWithLog(fixture('flyway-failed-migration.log'))))), ['flyway.failed-migration-in-history']);
});

t.test('at most three findings, most specific first', async (t) => {
  const report = jobReport({
    job: jobInfo('DeadlineExceeded', { activeDeadlineSeconds: 300 }),
    pods: [
      pod('db-migrate-x7k2p', [container({ current: terminated(137, 'OOMKilled'), log: 'ERROR:  canceling statement due to lock timeout' })]),
      pod('db-migrate-q9m4d', [container({ current: waiting('CreateContainerConfigError', 'secret "db-credentials" not found') })], {
        phase: 'Pending',
      }),
    ],
    events: [event('FailedScheduling', '0/3 nodes are available: 3 Insufficient cpu.', 'Pod/db-migrate-b2c8v')],
  });
  const findings = diagnoseReport(alertReport(report));
  t.equal(findings.length, MAX_FINDINGS);
  t.same(ids(findings), ['kubernetes.missing-config', 'kubernetes.failed-scheduling', 'kubernetes.oom-killed']);
});

t.test('the same cause in two hooks is said once; hooks keep their order on ties', async (t) => {
  const a = failedWithLog('FATAL:  password authentication failed for user "payments"');
  const b = failedWithLog('FATAL:  password authentication failed for user "ledger"\nERROR 1205 (HY000): Lock wait timeout exceeded; try restarting transaction');
  const findings = diagnoseReport(alertReport(a, b));
  t.same(ids(findings), ['database.postgres-auth-failed', 'database.mysql-lock-wait-timeout']);
  t.match(findings[0]?.title, /"payments"/, 'the first hook\'s occurrence is kept');
});

t.test('supersession and fallbacks apply per hook', async (t) => {
  const rails = failedWithLog(fixture('rails-duplicate-table.log'));
  const flyway = failedWithLog('ERROR: Migration of schema "public" to version "5 - x" failed! Changes successfully rolled back.');
  const plainPg = failedWithLog('ERROR:  relation "ledger" already exists');
  t.same(ids(diagnoseReport(alertReport(rails, flyway, plainPg))), [
    'rails.duplicate-table',
    'database.postgres-already-exists',
    'generic.migration-failed',
  ]);
});

t.test('the newest matching line is the evidence', async (t) => {
  const findings = diagnoseReport(
    alertReport(failedWithLog('Error: connect ECONNREFUSED 10.43.12.7:5432\nretrying\nError: connect ECONNREFUSED 10.43.12.8:5432\nexit')),
  );
  t.equal(findings[0]?.evidence, 'Error: connect ECONNREFUSED 10.43.12.8:5432');
});

t.test('colour codes do not hide an error', async (t) => {
  const findings = diagnoseReport(alertReport(failedWithLog('\u001b[31mERROR:  canceling statement due to lock timeout\u001b[0m')));
  t.same(ids(findings), ['database.postgres-lock-timeout']);
  t.equal(findings[0]?.evidence, 'ERROR:  canceling statement due to lock timeout');
});

t.test('evidence is capped and centred on the match in a long line', async (t) => {
  const line = `${'x'.repeat(3000)} ERROR:  canceling statement due to lock timeout ${'y'.repeat(3000)}`;
  const [finding] = diagnoseReport(alertReport(failedWithLog(line)));
  t.ok(finding !== undefined && finding.evidence !== null && finding.evidence.length <= MAX_EVIDENCE_CHARS + 2, 'capped');
  t.match(finding?.evidence, /^….*canceling statement due to lock timeout.*…$/);
});

t.test('pure: same input, same output, input untouched', async (t) => {
  const report = alertReport(failedWithLog(fixture('prisma-p3009.log')));
  const before = structuredClone(report);
  const first = diagnoseReport(report);
  t.same(diagnoseReport(report), first);
  t.same(report, before);
});

t.test('64 KiB adversarial lines finish and quote bounded evidence', async (t) => {
  const sources = RULES.flatMap((r) => patternsOf(r.matcher)).map((p) => p.source);
  const lines = adversarialLines(sources);
  t.ok(lines.length > 20, 'one line per pattern and filler');
  for (const line of lines) {
    for (const f of diagnoseReport(alertReport(failedWithLog(line)))) {
      t.ok(f.evidence === null || f.evidence.length <= MAX_EVIDENCE_CHARS + 2, `${f.id} evidence is bounded`);
    }
  }
  // Also as one 64 KiB+ log holding every adversarial line (each line is cut to the matching bound).
  t.type(diagnoseReport(alertReport(failedWithLog(lines.join('\n')))), Array);
});
