import t from 'tap';
import { extractCommands, splitAndList, stripShellComment } from '../../support/markdown-commands.js';

t.test('shell comments end a command only outside quotes and at a word start', async (t) => {
  t.equal(stripShellComment("export SLACK_CHANNEL=C0123ABCD      # or '#deploys'"), 'export SLACK_CHANNEL=C0123ABCD');
  t.equal(stripShellComment("echo '#not a comment' \"# nor this\""), "echo '#not a comment' \"# nor this\"");
  t.equal(stripShellComment('curl http://x/#anchor'), 'curl http://x/#anchor');
});

t.test('a list splits on && outside quotes and command substitutions', async (t) => {
  t.same(splitAndList('npm ci && npm start'), ['npm ci', 'npm start']);
  t.same(splitAndList(`export T="$(a && b)" && echo '&&'`), [`export T="$(a && b)"`, `echo '&&'`]);
});

t.test('commands come from shell fences (indented ones too) and from inline spans that start with a program', async (t) => {
  const md = [
    'Run `npm ci && npm run build`, then `--subscribe all` is a flag and `argocd` the',
    'namespace; `argocd-hook-alerts',
    'generate argocd` wraps. A table: `send-test --to slack\\|file` is no command.',
    '',
    '```sh',
    '# a comment line',
    'kubectl -n argocd patch secret x --type merge \\',
    '  -p \'{"a":1}\'   # trailing comment',
    '```',
    '',
    '1. A step:',
    '',
    '   ```bash',
    '   npx argocd-hook-alerts lint deploy/',
    '   ```',
    '',
    '```console',
    '$ argocd-hook-alerts --help',
    'Usage: argocd-hook-alerts [options]',
    '```',
    '',
    '```yaml',
    'run: argocd-hook-alerts lint -',
    '```',
  ].join('\n');
  const found = extractCommands('x.md', md).map((c) => ({ line: c.line, plain: c.plain, source: c.source }));
  t.same(found, [
    { line: 7, plain: `kubectl -n argocd patch secret x --type merge  -p '{"a":1}'`, source: 'block' },
    { line: 14, plain: 'npx argocd-hook-alerts lint deploy/', source: 'block' },
    { line: 18, plain: 'argocd-hook-alerts --help', source: 'block' },
    { line: 1, plain: 'npm ci', source: 'inline' },
    { line: 1, plain: 'npm run build', source: 'inline' },
    { line: 1, plain: 'argocd', source: 'inline' },
    { line: 2, plain: 'argocd-hook-alerts generate argocd', source: 'inline' },
  ]);
  const multi = extractCommands('x.md', md).find((c) => c.line === 7);
  t.equal(multi?.text, `kubectl -n argocd patch secret x --type merge \\\n  -p '{"a":1}'   # trailing comment`, 'a block command runs as written');
});
