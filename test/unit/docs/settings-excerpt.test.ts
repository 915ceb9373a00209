import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..', '..', '..');

t.test("the Slack and email guide's settings are config/default.yaml's routing, slack and email sections", async (t) => {
  const guide = readFileSync(join(REPO, 'docs', 'slack-and-email.md'), 'utf8');
  const section = guide.split(/^## All settings with their defaults$/m)[1] ?? '';
  const shown = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  const defaults = readFileSync(join(REPO, 'config', 'default.yaml'), 'utf8');
  // From `routing:` up to the next top-level key after `email:`.
  const excerpt = /^routing:\n[\s\S]*?^email:\n(?: .*\n|\n)*/m.exec(defaults)?.[0];
  t.ok(shown, 'the guide shows a yaml block under "All settings with their defaults"');
  t.ok(excerpt, 'config/default.yaml has routing ... email sections');
  t.equal(shown?.trim(), excerpt?.trim(), 'copy the sections from config/default.yaml into the guide');
});
