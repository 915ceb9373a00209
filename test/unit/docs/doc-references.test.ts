import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../support/contract-bodies.js';

// Code comments and docs cite docs/design.md by section name or anchor; a renamed section must take its
// citations along. And the repo stands alone: a clone has nothing beside it, so nothing may point there.

const SKIP_DIRS = new Set(['node_modules', 'dist', 'data', '.git', '.tap', 'coverage']);
const TEXT_FILE = /\.(ts|js|mjs|cjs|go|md|ya?ml|json|sh|txt|eml)$|^run$|^Dockerfile$/;

function repoFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIP_DIRS.has(entry.name) ? [] : repoFiles(path);
    return entry.isFile() && TEXT_FILE.test(entry.name) ? [path] : [];
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

const design = readFileSync(join(REPO_ROOT, 'docs', 'design.md'), 'utf8');
const headings = [...design.matchAll(/^#{2,4} (.+)$/gm)].map((m) => m[1] ?? '');
const files = repoFiles(REPO_ROOT).map((path) => ({ path: relative(REPO_ROOT, path), text: readFileSync(path, 'utf8') }));

t.test('every section of docs/design.md cited by name exists', async (t) => {
  // A citation may wrap inside a comment: its lines are joined without the comment markers.
  const unwrap = (section: string): string => section.replace(/\s*\n\s*(?:\*|\/\/|#)?\s*/g, ' ');
  const cited = files.flatMap(({ path, text }) =>
    [...text.matchAll(/docs\/design\.md,? "([^"]+)"/g)].map((m) => ({ path, section: unwrap(m[1] ?? '') })),
  );
  t.ok(cited.length >= 15, `the code cites design sections (${cited.length} citations)`);
  t.same(
    cited.filter((c) => !headings.includes(c.section)).map((c) => `${c.path}: "${c.section}"`),
    [],
    'no citation names a missing section',
  );
});

t.test('every link to a design.md anchor lands on a heading', async (t) => {
  const anchors = new Set(headings.map(anchorOf));
  const links = files.flatMap(({ path, text }) =>
    [...text.matchAll(/design\.md(?:\))?#([\w-]+)|\]\(#([\w-]+)\)/g)]
      .filter((m) => m[1] !== undefined || path === join('docs', 'design.md'))
      .map((m) => ({ path, anchor: m[1] ?? m[2] ?? '' })),
  );
  t.ok(links.length > 0, 'there are links to design sections');
  t.same(
    links.filter((l) => !anchors.has(l.anchor)).map((l) => `${l.path}: #${l.anchor}`),
    [],
    'no link points to a missing anchor',
  );
});

t.test('no file refers to the folder beside the checkout', async (t) => {
  const outside = ['..', 'shared'].join('/');
  t.ok(files.length > 100, `${files.length} files read`);
  t.same(
    files.filter(({ text }) => text.includes(outside)).map(({ path }) => path),
    [],
    `nothing points at ${outside}: a clone has nothing beside it`,
  );
});
