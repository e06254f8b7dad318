/**
 * Lab text is Markdown written by lab authors. Raw HTML inside it is shown as text, not interpreted:
 * lab folders may come from anyone, and the page's CSP is the second line of defence, not the first.
 */
import { Marked } from 'marked';

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html({ text }) {
      return escapeHtml(text);
    },
    link({ href, title, tokens }) {
      const label = this.parser.parseInline(tokens);
      const safe = /^(https?:|mailto:|#)/i.test(href) ? href : '#';
      const titleAttr = title ? ` title="${escapeHtml(title)}"` : '';
      const external = /^https?:/i.test(safe) ? ' target="_blank" rel="noreferrer noopener"' : '';
      return `<a href="${escapeHtml(safe)}"${titleAttr}${external}>${label}</a>`;
    },
    image({ text }) {
      return `<span class="md-image-alt">[image: ${escapeHtml(text)}]</span>`;
    },
  },
});

export function renderMarkdown(source: string): string {
  return marked.parse(source, { async: false });
}
