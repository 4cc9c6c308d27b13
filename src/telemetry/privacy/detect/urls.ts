// URL-valued strings keep scheme, host, port and path (RFC 3986 §3): the parts that say which
// page or API was used. Query values identify people far more often than paths do (?email=,
// ?token=, ?q=jane+doe, password-reset links), so the query is dropped except the `utm_*`
// campaign parameters, and the fragment is dropped whole (it carries OAuth implicit-flow tokens,
// RFC 6749 §4.2.2; single-page apps that route by fragment lose the route: accepted). Userinfo
// (`user:password@`) is dropped too. Path segments are not touched here; pattern_scrub scans
// them next, so an e-mail or a token in a path is still caught.

/** Absolute URLs anywhere in a text: scheme "://" and everything up to a space or quote. */
const ABSOLUTE = /\b[A-Za-z][A-Za-z0-9+.-]{0,15}:\/\/[^\s"'<>`\\]+/g;
/** A path reference with a query or fragment, standing as its own token: `GET /a?b=1`, `next=/a#b`. */
const RELATIVE = /(?<![^\s("'=])\/[^\s"'<>`?#]*[?#][^\s"'<>`]*/g;
/** A whole value that is a host without a scheme, followed by a path, query or fragment. */
const SCHEMELESS = /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d{1,5})?(?=[/?#])/;
/** Prose punctuation after a URL belongs to the sentence, not to the URL. */
const TRAILING = new Set(['.', ',', ';', ':', '!', '?', ')', ']', "'", '"']);
const UTM = /^utm_/i;
const AUTHORITY_END = new Set(['/', '?', '#']);

export type UrlReason = 'url_query' | 'url_fragment' | 'url_userinfo';

/** `text` with every URL trimmed as above; calls `found` once per part dropped. */
export function trimUrls(text: string, found: (reason: UrlReason) => void): string {
  // Nothing to drop without a query, a fragment or userinfo: the common case returns here.
  const hasQueryOrFragment = text.includes('?') || text.includes('#');
  if (!hasQueryOrFragment && !text.includes('@')) return text;
  const absolute = text.includes('://');
  if (!absolute && !hasQueryOrFragment) return text;
  let out = text;
  if (absolute) {
    out = out.replace(ABSOLUTE, (url) => trimAbsolute(url, found));
  } else if (!/\s/.test(text)) {
    if (text.startsWith('//')) return `//${trimAuthorityAndRest(text.slice(2), found)}`;
    if (SCHEMELESS.test(text)) return trimAuthorityAndRest(text, found);
    if (text.startsWith('?')) return trimRest(text, found);
  }
  if (hasQueryOrFragment) out = out.replace(RELATIVE, (reference) => withTrailing(reference, (core) => trimRest(core, found)));
  return out;
}

function withTrailing(match: string, trim: (core: string) => string): string {
  let end = match.length;
  while (end > 0 && TRAILING.has(match[end - 1] as string)) end--;
  return trim(match.slice(0, end)) + match.slice(end);
}

function trimAbsolute(url: string, found: (reason: UrlReason) => void): string {
  return withTrailing(url, (core) => {
    const start = core.indexOf('://') + 3;
    return core.slice(0, start) + trimAuthorityAndRest(core.slice(start), found);
  });
}

function trimAuthorityAndRest(afterScheme: string, found: (reason: UrlReason) => void): string {
  let end = 0;
  while (end < afterScheme.length && !AUTHORITY_END.has(afterScheme[end] as string)) end++;
  let authority = afterScheme.slice(0, end);
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    found('url_userinfo');
    authority = authority.slice(at + 1);
  }
  return authority + trimRest(afterScheme.slice(end), found);
}

/** path[?query][#fragment] → path[?utm_*]. */
function trimRest(rest: string, found: (reason: UrlReason) => void): string {
  let value = rest;
  const hash = value.indexOf('#');
  if (hash >= 0) {
    if (hash < value.length - 1) found('url_fragment');
    value = value.slice(0, hash);
  }
  const question = value.indexOf('?');
  if (question < 0) return value;
  const kept: string[] = [];
  let dropped = false;
  for (const parameter of value.slice(question + 1).split('&')) {
    if (UTM.test(parameter)) kept.push(parameter);
    else if (parameter !== '') dropped = true;
  }
  if (dropped) found('url_query');
  const path = value.slice(0, question);
  return kept.length > 0 ? `${path}?${kept.join('&')}` : path;
}
