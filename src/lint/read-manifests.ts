import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { text as readAll } from 'node:stream/consumers';
import { errors } from '../errors.js';
import { STDIN_NAME, type ManifestObject } from './manifest-object.js';
import { parseManifests } from './parse-manifests.js';

/** What `lint PATH...` read: the objects and how many files they came from. */
export interface ReadManifests {
  objects: ManifestObject[];
  files: number;
}

const yamlFile = /\.ya?ml$/i;
const TEMPLATE_ACTION = /\{\{-?\s*[.$\w(/"-][^\n]*?\}\}/;

/** *.yaml and *.yml under a directory, recursively, sorted so output is stable across file systems. */
async function yamlFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    // Hidden directories (.git, .github) hold no application manifests.
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await yamlFilesUnder(path)));
    else if ((e.isFile() || e.isSymbolicLink()) && yamlFile.test(e.name)) out.push(path);
  }
  return out;
}

function reason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

/**
 * Read files, directories and `-` (standard input) into Kubernetes objects. Every unreadable path and
 * every YAML error is collected, then reported together as one HA_ERR_LINT_INPUT (exit 1): linting a
 * partial app would report Secrets as missing that are only in the broken file.
 */
export async function readManifests(paths: readonly string[], stdin: NodeJS.ReadableStream = process.stdin): Promise<ReadManifests> {
  const problems: string[] = [];
  const sources: { name: string; load: () => Promise<string> }[] = [];
  if (paths.filter((p) => p === '-').length > 1) problems.push('"-" (standard input) can be given only once');
  for (const path of paths) {
    if (path === '-') {
      sources.push({ name: STDIN_NAME, load: () => readAll(stdin) });
      continue;
    }
    try {
      const info = await stat(path);
      if (info.isDirectory()) {
        const files = await yamlFilesUnder(path);
        if (files.length === 0) problems.push(`${path}: no *.yaml or *.yml files in this directory`);
        for (const f of files) sources.push({ name: f, load: () => readFile(f, 'utf8') });
      } else {
        sources.push({ name: path, load: () => readFile(path, 'utf8') });
      }
    } catch (err) {
      problems.push(`${path}: cannot read: ${reason(err)}`);
    }
  }
  const objects: ManifestObject[] = [];
  const seen = new Set<string>();
  // Files with Go template actions: an unrendered Helm chart is the usual cause of both invalid YAML and
  // "no objects", and the fix is the same (render it first).
  const templated: string[] = [];
  for (const source of sources) {
    if (seen.has(source.name)) continue;
    seen.add(source.name);
    let text: string;
    try {
      text = await source.load();
    } catch (err) {
      problems.push(`${source.name}: cannot read: ${reason(err)}`);
      continue;
    }
    const parsed = parseManifests(text, source.name);
    problems.push(...parsed.problems);
    objects.push(...parsed.objects);
    if (TEMPLATE_ACTION.test(text) && (parsed.problems.length > 0 || parsed.objects.length === 0)) templated.push(source.name);
  }
  if (problems.length === 0 && objects.length === 0 && sources.length > 0) {
    problems.push(
      `no Kubernetes object (a document with apiVersion and kind) in ${[...seen].join(', ')}: ${seen.size === 1 && [...seen][0] === STDIN_NAME ? 'the input was empty or held none' : 'the files are empty or hold none'}`,
    );
  }
  for (const name of templated) {
    problems.push(`${name} looks like an unrendered Helm template ({{ ... }}): render it first, e.g. helm template my-release ./chart | argocd-hook-alerts lint -`);
  }
  if (problems.length > 0) throw errors.lintInput(problems);
  return { objects, files: seen.size };
}
