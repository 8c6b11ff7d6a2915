/**
 * A post-mortem draft (GET /api/deployments/{id}/postmortem) rendered from its Markdown. Safely:
 * markdown-it only parses (raw HTML off), and its tokens become elements through `h`, so text stays
 * text — no HTML string is ever inserted — and only a short list of tags and http(s)/# links pass.
 */
import MarkdownIt from 'markdown-it';
import { api } from './api.ts';
import { h } from './dom.ts';

type Token = ReturnType<InstanceType<typeof MarkdownIt>['parse']>[number];

const TAGS = new Set([
  'h1',
  'h2',
  'h3',
  'h4',
  'p',
  'ul',
  'ol',
  'li',
  'strong',
  'em',
  'code',
  'pre',
  'blockquote',
  'hr',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  's',
  'a',
  'br',
]);

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

function safeHref(href: string | number | null): string | null {
  return typeof href === 'string' && /^(https?:\/\/|#)/i.test(href) ? href : null;
}

/** Markdown as DOM nodes, built element by element from markdown-it's tokens. */
export function renderMarkdown(source: string): DocumentFragment {
  const root = document.createDocumentFragment();
  const stack: (DocumentFragment | HTMLElement)[] = [root];
  const top = () => stack[stack.length - 1] as DocumentFragment | HTMLElement;
  const walk = (tokens: readonly Token[]) => {
    for (const t of tokens) {
      if (t.type === 'inline') walk(t.children ?? []);
      else if (t.type === 'text' || t.type === 'html_inline' || t.type === 'html_block')
        top().append(document.createTextNode(t.content));
      else if (t.type === 'softbreak') top().append(document.createTextNode('\n'));
      else if (t.type === 'hardbreak') top().append(h('br'));
      else if (t.type === 'code_inline') top().append(h('code', {}, t.content));
      else if (t.type === 'fence' || t.type === 'code_block')
        top().append(h('pre', {}, h('code', {}, t.content)));
      else if (t.type === 'hr') top().append(h('hr'));
      else if (t.type === 'image') top().append(document.createTextNode(t.content));
      else if (t.nesting === 1) {
        const tag = TAGS.has(t.tag) ? t.tag : 'span';
        const el =
          tag === 'a'
            ? h('a', { href: safeHref(t.attrGet('href')), rel: 'noopener noreferrer' })
            : h(tag as 'span');
        top().append(el);
        stack.push(el);
      } else if (t.nesting === -1 && stack.length > 1) stack.pop();
    }
  };
  walk(md.parse(source, {}));
  return root;
}

export async function postmortemView(id: string): Promise<HTMLElement> {
  const { markdown } = await api<{ markdown: string }>(
    'GET',
    `/api/deployments/${encodeURIComponent(id)}/postmortem`,
  );
  return h(
    'div',
    { class: 'postmortem', 'data-id': id },
    h('p', {}, h('a', { href: `#/deployments/${encodeURIComponent(id)}` }, '← The deployment')),
    h('article', { class: 'card markdown' }, renderMarkdown(markdown)),
    h(
      'details',
      {},
      h('summary', {}, 'Markdown, to copy into your notes'),
      h('pre', { class: 'source' }, markdown),
    ),
  );
}
