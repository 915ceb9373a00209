import t from 'tap';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../../support/browser.js';
import { SlackApiServer } from '../../support/slack-api-server.js';
import { slackEnv, workerHarness } from '../../support/worker-harness.js';
import { FAILING_LINE, storeIncident } from '../../support/incident-fixture.js';

// The incident page in a real browser (Debian's chromium, driven by playwright-core): a captured incident with
// three attempts, read from the link its Slack alert carries, replayed with the keyboard. With
// HOOK_ALERTS_SCREENSHOTS=1 (npm run screenshots) it also saves the screenshots docs/images/ shows.

const SCREENSHOTS = process.env.HOOK_ALERTS_SCREENSHOTS === '1' ? resolve(import.meta.dirname, '..', '..', '..', 'docs', 'images') : null;
const LINK_KEY = 'browser-test-link-signing-key-0123456789';

/** Console errors and uncaught page errors (a CSP violation is one), collected for the whole page's life. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

/** Whether the page is wider than its viewport (a horizontal scroll bar). */
async function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    // Runs in the page: its document, typed here without the DOM library.
    const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return root.scrollWidth > root.clientWidth;
  });
}

t.test('list and incident page in Chromium: logs complete, replay by keyboard, no console errors, readable at 390 px', async (t) => {
  const browser = await launchChromium(t);
  if (browser === null) return;
  const slack = await SlackApiServer.start({ channels: [{ id: 'C0DEPLOYS', name: 'deploys', member: true }] });
  t.teardown(() => slack.close());
  const h = await workerHarness(t, {
    env: slackEnv(slack, 'C0DEPLOYS'),
    overrides: { server: { token: 'webhook-token-0123456789', linkSigningKey: LINK_KEY, publicUrl: 'https://alerts.example.com', authProxy: { enabled: true } } },
  });
  const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  const { incidentId, report } = await storeIncident(h.store, { target: 'slack:C0DEPLOYS', attempts: 3, logBytes: 8_000, now: h.clock.now });
  slack.failNext('chat.postMessage', { kind: 'error', error: 'channel_not_found' });
  await h.worker.runOnce();
  t.equal(h.store.listDeliveries()[0]?.state, 'failed', 'the alert failed to go out (channel_not_found)');
  // The link the alert would have carried: the failed send still rendered it.
  const sent = slack.callsOf('chat.postMessage')[0]?.params;
  const link = /https:\/\/alerts\.example\.com(\/incidents\/inc_\w+\?exp=\d+&sig=[\w-]+)/.exec(JSON.stringify(sent ?? {}))?.[1];
  if (link === undefined) throw new Error('the Slack call carried no incident link');

  // The list, as a user signed in through the proxy sees it.
  const listContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, extraHTTPHeaders: { 'X-Forwarded-Email': 'alice@example.com' } });
  const list = await listContext.newPage();
  const listErrors = collectErrors(list);
  t.equal((await list.goto(`${base}/incidents`))?.status(), 200);
  t.match(await list.locator('h1').textContent(), 'Hook incidents');
  t.match(await list.locator('tbody tr').first().textContent(), /payments-api.*PreSync hook db-migrate failed/s);
  t.match(await list.locator('tbody tr').first().textContent(), /1 unsent/);
  if (SCREENSHOTS !== null) await list.screenshot({ path: resolve(SCREENSHOTS, 'incident-list.png'), fullPage: true });
  t.same(listErrors, [], 'no console errors on the list');

  // The incident page from the alert's signed link, without any login.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = collectErrors(page);
  t.equal((await page.goto(`${base}${link}`))?.status(), 200);
  t.match(await page.locator('h1').textContent(), /\[FAILED\] payments-api: PreSync hook db-migrate failed/);
  const logs = page.locator('pre.log[aria-label]');
  t.equal(await logs.count(), 3, 'a log per attempt');
  for (const [i, pod] of (report.hooks[0]?.pods ?? []).entries()) {
    const expected = (pod.containers[0]?.log?.text ?? '').trimEnd();
    t.equal(await logs.nth(i).innerText(), expected, `attempt ${i + 1}: the whole log, as captured (line numbers are not part of the text)`);
  }
  t.equal(await page.locator('pre.log mark').count(), 3, 'the failing line of each attempt is marked');
  t.equal(await page.locator('pre.log mark').first().innerText(), FAILING_LINE);
  if (SCREENSHOTS !== null) await page.screenshot({ path: resolve(SCREENSHOTS, 'incident-page.png'), fullPage: false });

  // Replay with the keyboard alone: tab to the button, press Enter.
  const button = page.getByRole('button', { name: /Send delivery \d+ to slack:C0DEPLOYS again/ });
  t.equal(await button.count(), 1);
  let focused = false;
  for (let i = 0; i < 300 && !focused; i++) {
    await page.keyboard.press('Tab');
    focused = await button.evaluate((b) => b === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement);
  }
  t.ok(focused, 'the replay button is reached by Tab');
  await Promise.all([page.waitForURL(/replayed=/), page.keyboard.press('Enter')]);
  t.match(await page.locator('[role=status]').innerText(), /queued again/);
  t.match(h.store.listDeliveries()[0], { state: 'pending', replayedBy: 'signed-link' });
  await h.worker.runOnce();
  t.match(h.store.listDeliveries()[0], { state: 'sent', attempts: 2 });
  await page.reload();
  t.match(await page.locator('#delivery-1').innerText(), /sent/);
  t.equal(await page.getByRole('button').count(), 0, 'nothing left to replay');
  t.same(errors, [], 'no console errors (a CSP violation would be one)');

  // Readable on a phone: 390 px wide, no horizontal scroll, on both pages.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, extraHTTPHeaders: { 'X-Forwarded-Email': 'alice@example.com' } });
  const small = await phone.newPage();
  const smallErrors = collectErrors(small);
  await small.goto(`${base}/incidents/${incidentId}`);
  t.equal(await scrollsSideways(small), false, 'the incident page fits 390 px');
  await small.goto(`${base}/incidents`);
  t.equal(await scrollsSideways(small), false, 'the list fits 390 px');
  t.same(smallErrors, []);
});
