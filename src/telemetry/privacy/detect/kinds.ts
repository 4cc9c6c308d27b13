/** What pattern_scrub can find in a string; each is also the redaction reason. */
export const PATTERN_KINDS = ['email', 'phone', 'ipv4', 'ipv6', 'card_number', 'jwt', 'bearer_secret'] as const;
export type PatternKind = (typeof PATTERN_KINDS)[number];

/** Called once per occurrence found. */
export type Found = (kind: PatternKind) => void;

/** The text that replaces a finding. It holds no digit, `@` or long run, so no detector matches it again. */
export function marker(kind: PatternKind): string {
  return `[redacted:${kind}]`;
}
