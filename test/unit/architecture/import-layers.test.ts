import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The one-way house (docs/design-layout.md): every import of src/ runs down this list, never up and
 * never sideways between two parts of one floor. A part is a folder or a single file; the first floor
 * holds the shared types and the leaf modules, which import nothing of the project.
 */
const FLOORS: readonly (readonly string[])[] = [
  ['src/model/', 'src/scrub/', 'src/errors.ts', 'src/logger.ts', 'src/metrics.ts', 'src/package-files.ts', 'src/make-directory.ts', 'src/secret-file.ts', 'src/thread-module.ts'],
  ['src/kube/'],
  ['src/store/'],
  ['src/intake/', 'src/enrich/', 'src/diagnose/', 'src/route/', 'src/render/', 'src/argocd/', 'src/lint/'],
  ['src/deliver/', 'src/incident-page/'],
  ['src/worker/'],
  ['src/config/'],
  ['src/pipeline/'],
  ['src/main.ts'],
  ['src/commands/'],
  ['src/cli.ts'],
];

/** Narrower than its floor: the Kubernetes kit is a library of its own and may use the error table alone. */
const ONLY: Readonly<Record<string, readonly string[]>> = {
  'src/kube/': ['src/errors.ts'],
};

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Place {
  part: string;
  floor: number;
}

/** The part (folder or file) and floor of a file of src/, or null when no floor names it. */
function placeOf(file: string): Place | null {
  for (const [floor, parts] of FLOORS.entries()) {
    for (const part of parts) {
      if (part.endsWith('/') ? file.startsWith(part) : file === part) return { part, floor };
    }
  }
  return null;
}

/** Why `from` may not import `to` (both paths from the repository root), or null when it may. */
function refusal(from: string, to: string): string | null {
  const a = placeOf(from);
  const b = placeOf(to);
  if (a === null) return `${from} is on no floor: add its folder to FLOORS`;
  if (b === null) return `${to} is on no floor: add its folder to FLOORS`;
  if (a.part === b.part) return null;
  const only = ONLY[a.part];
  if (only !== undefined && !only.includes(b.part)) return `${a.part} may import only ${only.join(', ')} of the project`;
  if (b.floor > a.floor) return `runs up: ${a.part} (floor ${a.floor + 1}) imports ${b.part} (floor ${b.floor + 1})`;
  if (b.floor === a.floor) return `runs sideways: ${a.part} and ${b.part} share floor ${a.floor + 1}`;
  return null;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f).split('\\').join('/'))
    .sort();
}

/** Every module a file names: static imports and re-exports (type-only too) and dynamic import()s. */
function specifiers(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg !== undefined && ts.isStringLiteralLike(arg)) found.push(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The project file a relative specifier names (`./x.js` is `./x.ts` in the source), from the repository root. */
function resolveSpecifier(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  return join(dirname(from), specifier.replace(/\.js$/, '.ts')).split('\\').join('/');
}

/** Every import of src/ between two project files. */
function projectImports(): { from: string; to: string }[] {
  return sourceFiles('src').flatMap((from) =>
    specifiers(from).flatMap((s) => {
      const to = resolveSpecifier(from, s);
      return to === null ? [] : [{ from, to }];
    }),
  );
}

t.test('every file of src/ stands on one floor', async (t) => {
  const files = sourceFiles('src');
  t.ok(files.length > 100, `${files.length} files read`);
  t.same(files.filter((f) => placeOf(f) === null), [], 'files on no floor');
});

t.test('every import of src/ runs down the floors', async (t) => {
  const imports = projectImports();
  t.ok(imports.length > 300, `${imports.length} imports between project files read`);
  const files = new Set(sourceFiles('src'));
  t.same(imports.filter((i) => !files.has(i.to)), [], 'every relative import names a file of src/');
  const refused = imports.flatMap((i) => {
    const why = refusal(i.from, i.to);
    return why === null ? [] : [`${i.from} -> ${i.to}: ${why}`];
  });
  t.same(refused, [], 'imports against the order of the floors');
});

t.test('the rule refuses what runs up or sideways and allows what runs down', async (t) => {
  t.equal(refusal('src/worker/worker.ts', 'src/store/sqlite-store.ts'), null, 'down');
  t.equal(refusal('src/enrich/kube-enricher.ts', 'src/enrich/scrub.ts'), null, 'within one part');
  t.match(refusal('src/store/sqlite-store.ts', 'src/worker/worker.ts'), /runs up: src\/store\/ \(floor 3\) imports src\/worker\/ \(floor 6\)/);
  t.match(refusal('src/intake/build-app.ts', 'src/enrich/scrub.ts'), /runs sideways: src\/intake\/ and src\/enrich\//);
  t.match(refusal('src/model/alert.ts', 'src/errors.ts'), /runs sideways/, 'the model imports nothing of the project');
  t.match(refusal('src/kube/kube-client.ts', 'src/model/job-report.ts'), /src\/kube\/ may import only src\/errors\.ts/);
  t.equal(refusal('src/kube/kube-client.ts', 'src/errors.ts'), null);
  t.match(refusal('src/newfolder/x.ts', 'src/errors.ts'), /src\/newfolder\/x\.ts is on no floor/);
});
