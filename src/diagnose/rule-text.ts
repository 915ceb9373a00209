import type { RuleContext } from './rule.js';

const ALTERNATES = ['', '2', '3', '4', '5', '6'] as const;

/**
 * A named capture of the match. One pattern covers several wordings of the same error (libpq, JDBC,
 * Node, Go) in one scan; JavaScript forbids a group name twice in one pattern, so the alternatives name
 * their groups `host`, `host2`, `host3`, ... and this returns whichever one matched.
 */
export function group(ctx: RuleContext, name: string): string | undefined {
  for (const suffix of ALTERNATES) {
    const value = ctx.match.groups[`${name}${suffix}`];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** ` <what>` when the match captured it, else the empty string: for optional details in titles. */
export function optional(ctx: RuleContext, name: string, format: (value: string) => string): string {
  const value = group(ctx, name);
  return value === undefined ? '' : format(value);
}
