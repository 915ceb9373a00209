import type { HookEvent } from '../model/hook-event.js';

/** One synced revision as shown in an alert. */
export interface RevisionView {
  /** The full revision (a commit SHA, or a chart version for Helm sources). */
  revision: string;
  /** 7-character SHA for commits, the revision itself otherwise. */
  short: string;
  /** Link to the commit on GitHub, GitLab or Bitbucket; null for other hosts and non-SHA revisions. */
  url: string | null;
}

const SHA = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/i;
// Strict on purpose: the URL ends up inside a Slack `<url|label>` and an HTML href, so only plain
// host/owner/repo paths qualify (no `|`, `>`, quotes, query strings or credentials).
const HTTPS_REPO = /^https?:\/\/(?:[\w.-]+@)?(github\.com|gitlab\.com|bitbucket\.org)\/([\w.-]+(?:\/[\w.-]+)+)$/;
const SSH_REPO = /^(?:ssh:\/\/)?git@(github\.com|gitlab\.com|bitbucket\.org)[:/]([\w.-]+(?:\/[\w.-]+)+)$/;

/** Web URL of a commit for repositories on GitHub, GitLab or Bitbucket (HTTPS or SSH clone URLs). */
export function commitUrl(repoURL: string | null, revision: string): string | null {
  if (repoURL === null || !SHA.test(revision)) return null;
  const repo = repoURL.trim().replace(/\/+$/, '').replace(/\.git$/, '');
  const m = HTTPS_REPO.exec(repo) ?? SSH_REPO.exec(repo);
  if (m === null) return null;
  const [, host, path] = m;
  if (host === undefined || path === undefined) return null;
  const sha = revision.toLowerCase();
  if (host === 'github.com') return `https://github.com/${path}/commit/${sha}`;
  if (host === 'gitlab.com') return `https://gitlab.com/${path}/-/commit/${sha}`;
  return `https://bitbucket.org/${path}/commits/${sha}`;
}

/** The event's revisions paired with their sources (multi-source apps list one revision per source). */
export function revisionViews(event: HookEvent): RevisionView[] {
  return event.revisions.map((revision, i) => {
    const source = event.sources[i] ?? (event.sources.length === 1 ? event.sources[0] : undefined);
    return {
      revision,
      short: SHA.test(revision) ? revision.slice(0, 7) : revision,
      url: commitUrl(source?.repoURL ?? null, revision),
    };
  });
}
