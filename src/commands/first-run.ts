import { isAbsolute, join, relative } from 'node:path';
import type { Config } from '../config/schema.js';
import type { SinkName } from '../model/sink.js';
import { packageRoot } from '../package-files.js';

/** The sample event shipped in the package (what the README's quick start posts). */
export const SAMPLE_EVENT = ['samples', 'events', 'presync-job-failed.json'] as const;

/** A path as the user would type it from the current directory: relative when it lies below it. */
export function pathForShell(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** The curl that posts the sample event, as the README's quick start shows it (two lines, `\` between). */
export function sampleCurl(opts: { tokenFile: string; eventFile: string; baseUrl: string }): string {
  return [
    `curl -sS -H "Authorization: Bearer $(cat ${opts.tokenFile})" -H 'Content-Type: application/json' \\`,
    `  -d @${opts.eventFile} ${opts.baseUrl}/v1/argocd/events`,
  ].join('\n');
}

/** http://host:port a local client reaches: a wildcard listen address becomes localhost. */
function localBaseUrl(listenUrl: string): string {
  const url = new URL(listenUrl);
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = 'localhost';
  return url.origin;
}

/**
 * What to do next, for a person who just ran `npm start`: where the service listens, where its token and
 * outbox are, the curl that posts the shipped sample event, and the command for a full sample alert.
 */
export function firstRunNotice(opts: { config: Config; listenUrl: string; tokenFile: string; sinks: ReadonlySet<SinkName> }): string {
  const { config } = opts;
  const baseUrl = localBaseUrl(opts.listenUrl);
  const tokenFile = pathForShell(opts.tokenFile);
  const eventFile = pathForShell(join(packageRoot(), ...SAMPLE_EVENT));
  const outbox = pathForShell(config.file.dir ?? join(config.dataDir, 'outbox'));
  const lines = [
    '',
    'argocd-hook-alerts is running on embedded defaults (for a local try; see docs/install-on-a-cluster.md for a cluster)',
    `  listening on  ${opts.listenUrl}`,
    `  webhook token ${tokenFile}`,
    opts.sinks.has('file')
      ? `  outbox        ${outbox}/ (each alert as the Slack JSON and the .eml that would be sent)`
      : `  sinks         ${[...opts.sinks].join(', ')}`,
    '',
    'Post the sample event (a PreSync migration Job that failed), as Argo CD would:',
    '',
    sampleCurl({ tokenFile, eventFile, baseUrl })
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    ...(opts.sinks.has('file') ? ['', `then look in ${outbox}/: ls ${outbox}/*/`] : []),
    '',
    'For a full sample alert, with pod logs and a diagnosis (no cluster needed):',
    '',
    '  npx argocd-hook-alerts send-test --to file',
    '',
    'Stop with Ctrl-C.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}
