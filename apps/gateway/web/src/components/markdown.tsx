import type { Element, ElementContent, Root } from 'hast';
import { toJsxRuntime } from 'hast-util-to-jsx-runtime';
import { common, createLowlight } from 'lowlight';
import type { Html } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { toHast } from 'mdast-util-to-hast';
import { gfm } from 'micromark-extension-gfm';
import { Fragment, jsx, jsxs } from 'preact/jsx-runtime';
import { useMemo } from 'preact/hooks';

const lowlight = createLowlight(common);

/**
 * An agent's Markdown as elements, never as an HTML string: raw HTML in the text is shown
 * as the text it is, links open outside the page, and fenced code with a language the
 * highlighter knows is coloured.
 */
export function Markdown({ text }: { text: string }) {
  const tree = useMemo(() => markdownTree(text), [text]);
  return <div class="markdown">{toJsxRuntime(tree, { Fragment, jsx, jsxs, elementAttributeNameCase: 'html' })}</div>;
}

function markdownTree(text: string): Root {
  const mdast = fromMarkdown(text, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
  const hast = toHast(mdast, { handlers: { html: (_state, node: Html) => ({ type: 'text', value: node.value }) } }) as Root;
  visit(hast);
  return hast;
}

function visit(node: Root | Element): void {
  for (const child of node.children) {
    if (child.type !== 'element') continue;
    if (child.tagName === 'a') child.properties = { ...child.properties, target: '_blank', rel: ['noopener', 'noreferrer'] };
    if (child.tagName === 'code' && node.type === 'element' && node.tagName === 'pre') highlight(child);
    else visit(child);
  }
}

function highlight(code: Element): void {
  const classes = Array.isArray(code.properties.className) ? code.properties.className.map(String) : [];
  const language = classes.find((c) => c.startsWith('language-'))?.slice('language-'.length);
  if (!language || !lowlight.registered(language)) return;
  const source = code.children.map((c) => (c.type === 'text' ? c.value : '')).join('');
  code.children = lowlight.highlight(language, source).children as ElementContent[];
  code.properties.className = [...classes, 'hljs'];
}
