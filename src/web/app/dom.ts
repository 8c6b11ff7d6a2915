/**
 * A tiny element builder. Text is always set with text nodes, never as HTML, so names, reasons
 * and release notes cannot inject markup or script — there is no innerHTML in this app.
 */
import { clockTime, dateTimeSeconds } from './dates.ts';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function mount(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) parent.append(typeof c === 'object' ? c : String(c));
}

/** Announce a change to screen readers. */
export function announce(text: string): void {
  const live = document.getElementById('live');
  if (live) live.textContent = text;
}

export const time = (iso: string | null | undefined): string => (iso ? clockTime(Date.parse(iso)) : '—');

export const dateTime = (iso: string | null | undefined): string =>
  iso ? dateTimeSeconds(Date.parse(iso)) : '—';
