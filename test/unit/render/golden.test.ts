import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { renderSlackMessage } from '../../../src/render/slack-message.js';
import { emailMessageId, renderEmail } from '../../../src/render/email-message.js';
import { resolvedAlert, sampleAlert, SAMPLE_FINDING } from '../../support/sample-alerts.js';

/**
 * Golden files of the Slack JSON and the .eml: a change in how alerts look shows up in review as a diff
 * of test/golden/. Regenerate with `UPDATE_GOLDEN=1 npx tap test/unit/render/golden.test.ts`.
 */

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

/** The golden file's content (written first with UPDATE_GOLDEN=1). */
function golden(file: string, actual: string): string {
  const path = join(GOLDEN, file);
  if (update) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  }
  return readFileSync(path, 'utf8');
}

const mailer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
t.teardown(() => mailer.close());

/** The .eml as nodemailer composes it, with what changes per run (Date, MIME boundaries) normalized. */
async function eml(mail: Parameters<typeof mailer.sendMail>[0]): Promise<string> {
  const info = await mailer.sendMail(mail);
  const raw = Buffer.isBuffer(info.message) ? info.message.toString('utf8') : '';
  const boundaries = [...new Set([...raw.matchAll(/boundary="([^"]+)"/g)].map((m) => m[1] ?? ''))];
  let out = raw.replace(/^Date: .*$/m, 'Date: <normalized>');
  boundaries.forEach((b, i) => {
    out = out.split(b).join(`BOUNDARY-${i + 1}`);
  });
  return out;
}

const FROM = 'Hook Alerts <alerts@example.com>';

t.test('Slack JSON golden files', async (t) => {
  const cases: [string, unknown][] = [
    ['slack/presync-job-failed.json', renderSlackMessage(sampleAlert('presync-job-failed', { findings: [SAMPLE_FINDING] }), { mentions: ['<!subteam^S0PAYMENTS>'] })],
    ['slack/tricky-strings.json', renderSlackMessage(sampleAlert('tricky-strings'))],
    ['slack/multi-source-no-report.json', renderSlackMessage(sampleAlert('multi-source-two-failed-hooks', { report: null }))],
    ['slack/resolved-reply.json', renderSlackMessage(resolvedAlert('inc_45db64ba0fa6176576f7'))],
  ];
  for (const [file, message] of cases) {
    const actual = `${JSON.stringify(message, null, 2)}\n`;
    t.equal(actual, golden(file, actual), `matches test/golden/${file}`);
  }
});

t.test('.eml golden files', async (t) => {
  const failed = sampleAlert('presync-job-failed', { findings: [SAMPLE_FINDING] });
  const root = emailMessageId(failed, FROM);
  const cases: [string, Parameters<typeof mailer.sendMail>[0]][] = [
    ['email/presync-job-failed.eml', renderEmail(failed, { from: FROM, to: 'oncall@example.com' })],
    ['email/resolved-reply.eml', renderEmail(resolvedAlert(failed.incidentId), { from: FROM, to: 'oncall@example.com', threadRootRef: root })],
  ];
  for (const [file, mail] of cases) {
    const actual = await eml(mail);
    t.equal(actual, golden(file, actual), `matches test/golden/${file}`);
  }
});
