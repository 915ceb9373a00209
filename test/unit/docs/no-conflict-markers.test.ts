import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../support/contract-bodies.js';

// A merge that left its conflict markers in a doc or a config still type-checks and lints: this catches it.
// A walk of the checkout, not `git ls-files`: CI runs the tests from a copy with no .git.
const SKIP = new Set(['node_modules', 'dist', '.git', '.tap', 'data']);

function textFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name)) return [];
    const path = join(dir, e.name);
    if (e.isDirectory()) return textFiles(path);
    return /\.(md|ts|js|json|ya?ml|sh)$/.test(e.name) || dir.endsWith('.ci') ? [path] : [];
  });
}

t.test('no text file of the checkout holds merge conflict markers', async (t) => {
  const files = textFiles(REPO_ROOT);
  t.ok(files.length > 100, `${files.length} files read`);
  const marked = files.filter((f) => /^(<{7}|>{7}) /m.test(readFileSync(f, 'utf8'))).map((f) => relative(REPO_ROOT, f));
  t.same(marked, [], 'files with <<<<<<< or >>>>>>> lines');
});
