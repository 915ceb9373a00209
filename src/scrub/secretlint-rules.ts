import { rules as recommendedRules } from '@secretlint/secretlint-rule-preset-recommend';
import type { SecretLintRuleContext, SecretLintRuleReportHandler, SecretLintSourceCode } from '@secretlint/types';
import type { Redaction, ScrubRule } from './scrub-rule.js';

/**
 * Rules of secretlint's recommended preset that this project leaves out, and why:
 * - filter-comments honours `secretlint-disable` comments: a log line must not switch scrubbing off.
 * - database-connection-string and basicauth report the whole URL; the project's `url-credentials` rule hides
 *   the same passwords and keeps the host and database, which the alert needs to say what failed.
 */
export const SECRETLINT_LEFT_OUT: readonly string[] = [
  '@secretlint/secretlint-rule-filter-comments',
  '@secretlint/secretlint-rule-database-connection-string',
  '@secretlint/secretlint-rule-basicauth',
];

function unsupported(what: string): never {
  throw new Error(`secretlint rule called ${what}, which the scrubber does not provide: leave that rule out in src/scrub/secretlint-rules.ts`);
}

/** A source as secretlint's scanner rules read it: the text alone, with no file behind it. */
function sourceOf(content: string): SecretLintSourceCode {
  return {
    hasBOM: false,
    content,
    filePath: undefined,
    physicalFilePath: undefined,
    contentType: 'text',
    ext: '',
    getFilePath: () => undefined,
    getPhysicalFilePath: () => undefined,
    locationToRange: () => unsupported('locationToRange'),
    rangeToLocation: () => unsupported('rangeToLocation'),
    positionToIndex: () => unsupported('positionToIndex'),
    indexToPosition: () => unsupported('indexToPosition'),
  };
}

/**
 * secretlint's recommended rules as scrub rules. secretlint's own entry point (`@secretlint/core`
 * lintSource) is asynchronous and builds messages, locations and a profiler per call; the rules' `file`
 * handlers themselves are synchronous scans that report ranges, so they are called directly, each with a
 * context that only records those ranges.
 */
export function secretlintRules(): ScrubRule[] {
  const out: ScrubRule[] = [];
  for (const creator of recommendedRules) {
    const id = creator.meta.id;
    if (SECRETLINT_LEFT_OUT.includes(id)) continue;
    let sink: Redaction[] = [];
    const context: SecretLintRuleContext = {
      sharedOptions: {},
      createTranslator: () => (messageId) => ({ message: String(messageId), messageId: String(messageId), data: undefined }),
      report: ({ range }) => sink.push({ start: range[0], end: range[1], label: '[REDACTED]' }),
      ignore: () => undefined,
    };
    const handler: SecretLintRuleReportHandler = creator.create(context, {});
    if (handler.file === undefined) continue;
    const shortId = id.replace('@secretlint/secretlint-rule-', 'secretlint-');
    out.push({
      id: shortId,
      find: (text, found) => {
        sink = found;
        const result = handler.file?.(sourceOf(text));
        // Every scanner of the preset is synchronous today; one that turns asynchronous would report after
        // the text has left, so it fails loudly instead (the unit tests run every rule).
        if (result instanceof Promise) throw new Error(`secretlint rule ${id} became asynchronous: the scrubber cannot wait for it`);
      },
    });
  }
  return out;
}
