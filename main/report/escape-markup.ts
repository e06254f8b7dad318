/**
 * Text for HTML and SVG content and attribute values: the five markup characters escaped, and the
 * control characters XML forbids (a lab's text or a process's message may hold them) replaced by
 * U+FFFD, so that an SVG inlined in the report still parses.
 */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g;

export function escapeMarkup(text: string): string {
  return text.replace(NOT_XML, '\uFFFD').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
