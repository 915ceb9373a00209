import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../support/contract-bodies.js';

// The Slack app's scopes are exactly those of the Web API methods the sink calls: one more is a grant nobody
// uses, one fewer is a `missing_scope` in production. The methods are read from the sink's source; the
// scopes each needs for a bot token in public and private channels are Slack's, from each method's reference
// page (https://docs.slack.dev/reference/methods/<method>, "Scopes: Bot token").

const SCOPES_OF_METHOD: Readonly<Record<string, readonly string[]>> = {
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  // The im:/mpim: variants are for direct messages, which the service never reads.
  'conversations.history': ['channels:history', 'groups:history'],
  'conversations.replies': ['channels:history', 'groups:history'],
  'conversations.list': ['channels:read', 'groups:read'],
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
};

/** The SDK's helpers that call several Web API methods (@slack/web-api WebClient.filesUploadV2). */
const METHODS_OF_HELPER: Readonly<Record<string, readonly string[]>> = {
  filesUploadV2: ['files.getUploadURLExternal', 'files.completeUploadExternal'],
};

/** The Web API methods that src/deliver/slack-sink.ts calls through its WebClient. */
function methodsCalled(): Set<string> {
  const source = readFileSync(`${REPO_ROOT}src/deliver/slack-sink.ts`, 'utf8');
  const uses = source.match(/this\.#client\.[\w.]+/g) ?? [];
  const methods = new Set<string>();
  for (const use of uses) {
    const name = use.slice('this.#client.'.length);
    const expanded = METHODS_OF_HELPER[name] ?? [name];
    for (const m of expanded) methods.add(m);
  }
  return methods;
}

function manifestScopes(): string[] {
  const manifest = parse(readFileSync(`${REPO_ROOT}deploy/slack-app-manifest.yaml`, 'utf8')) as { oauth_config: { scopes: { bot: string[]; user?: string[] } } };
  t.notOk(manifest.oauth_config.scopes.user, 'no user scopes: the service acts as its bot only');
  return manifest.oauth_config.scopes.bot;
}

t.test('the manifest grants exactly the scopes of the Web API methods the Slack sink calls', async (t) => {
  const methods = methodsCalled();
  t.ok(methods.has('chat.postMessage'), 'the source scan finds the calls');
  for (const m of methods) t.ok(SCOPES_OF_METHOD[m], `${m}: its scopes are known (add them from Slack's reference)`);
  const needed = new Set([...methods].flatMap((m) => SCOPES_OF_METHOD[m] ?? []));
  const granted = manifestScopes();
  t.equal(new Set(granted).size, granted.length, 'no scope listed twice');
  t.same([...granted].sort(), [...needed].sort());
});

t.test("the Slack guide's scope table lists the manifest's scopes and the methods behind each", async (t) => {
  const guide = readFileSync(`${REPO_ROOT}docs/slack-and-email.md`, 'utf8');
  const section = guide.split(/^## The Slack app$/m)[1]?.split(/^## /m)[0] ?? '';
  const rows = section
    .split('\n')
    .filter((l) => /^\| `[a-z]+:/.test(l))
    .map((l) => l.split('|').map((c) => c.trim()));
  const tableScopes = rows.flatMap((cells) => [...(cells[1] ?? '').matchAll(/`([a-z.]+:[a-z.]+)`/g)].map((m) => m[1] ?? ''));
  t.same([...tableScopes].sort(), [...manifestScopes()].sort(), 'the same scopes');
  for (const cells of rows) {
    const scopes = [...(cells[1] ?? '').matchAll(/`([a-z.]+:[a-z.]+)`/g)].map((m) => m[1] ?? '');
    const methods = [...(cells[2] ?? '').matchAll(/`([a-zA-Z]+\.[a-zA-Z]+)`/g)].map((m) => m[1] ?? '');
    for (const m of methods) t.same([...(SCOPES_OF_METHOD[m] ?? [])].sort(), [...scopes].sort(), `${m} needs ${scopes.join(', ')}`);
  }
  t.match(section, 'deploy/slack-app-manifest.yaml', 'the guide points at the manifest');
});
