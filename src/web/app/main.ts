/**
 * The dashboard: sign in with a token, then environments, a deployment live (and its post-mortem
 * draft), history and delivery (DORA) — hash routes.
 */
import { api, currentUser, type Me, type Permissions, signIn, signOut } from './api.ts';
import { clientDeploymentView } from './client-deployment.ts';
import { deploymentView } from './deployment.ts';
import { h, mount } from './dom.ts';
import { doraView } from './dora.ts';
import { environmentsView } from './environments.ts';
import { historyView } from './history.ts';
import { follow } from './live.ts';
import { chooseMode, currentMode } from './mode.ts';
import { approveLinkView, deadLetterPanel } from './notifications.ts';
import { postmortemView } from './postmortem.ts';
import './style.css';

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;
let me: Me | null = null;
let perms: Permissions | null = null;
let leave: (() => void) | null = null;

function signInView(): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert' });
  const input = h('input', {
    id: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
  });
  const form = h(
    'form',
    {
      class: 'card signin',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          me = await signIn(input.value.trim());
          input.value = '';
          await route();
        } catch (err) {
          error.textContent = (err as Error).message;
          input.focus();
        }
      },
    },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'token' }, 'Your slipway token'),
    input,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    error,
  );
  queueMicrotask(() => input.focus());
  return form;
}

/** How often the overview and history poll while the change stream is down. */
const POLL_MS = 3000;

/** Counts route() calls: a view whose data arrives after a newer navigation is not shown. */
let navigation = 0;

async function route(): Promise<void> {
  const mine = ++navigation;
  leave?.();
  leave = null;
  // Who is signed in and what they may do, asked at once (a signed-out visitor asks neither).
  const permissions =
    me || localStorage.getItem('slipway.signedIn')
      ? api<Permissions>('GET', '/api/session/permissions').catch(() => null)
      : null;
  me ??= await currentUser();
  if (!me) {
    mount(nav);
    mount(who);
    mount(main, signInView());
    return;
  }
  perms = (await permissions) ?? (await api<Permissions>('GET', '/api/session/permissions'));
  const link = (href: string, text: string) =>
    h(
      'a',
      { href, 'aria-current': location.hash.split('?')[0] === href.split('?')[0] ? 'page' : null },
      text,
    );
  mount(nav, link('#/', 'Environments'), link('#/history', 'History'), link('#/dora', 'Delivery'));
  const mode = currentMode(me);
  mount(
    who,
    `${me.user} · `,
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        'data-action': 'switch-view',
        onclick: async () => {
          chooseMode(mode === 'client' ? 'detailed' : 'client');
          await route();
        },
      },
      mode === 'client' ? 'Detailed view' : 'Client view',
    ),
    ' · ',
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        onclick: async () => {
          await signOut();
          me = null;
          await route();
        },
      },
      'Sign out',
    ),
  );
  const [path, query] = (location.hash.slice(1) || '/').split('?');
  const approveLink = /^\/approve\/([\w.-]+)$/.exec(path ?? '');
  if (approveLink) {
    mount(
      main,
      await approveLinkView(approveLink[1] as string, new URLSearchParams(query ?? '').get('t') ?? ''),
    );
    return;
  }
  try {
    const dep = /^\/deployments\/([\w.-]+)$/.exec(path ?? '');
    const pm = /^\/deployments\/([\w.-]+)\/postmortem$/.exec(path ?? '');
    let stop: (() => void) | null = null;
    const p = perms;
    const envs = p.environments.map((e) => e.env);
    const build =
      dep || pm
        ? null
        : path === '/history'
          ? () => historyView(envs, new URLSearchParams(query ?? ''), mode)
          : path === '/dora'
            ? () => doraView(envs, new URLSearchParams(query ?? ''))
            : async () => {
                const view = await environmentsView(p, () => void route(), mode);
                // Engineers see what notifications gave up; the client view stays about releases.
                const dead = mode === 'client' ? null : await deadLetterPanel().catch(() => null);
                if (dead) view.append(dead);
                return view;
              };
    const view = pm
      ? await postmortemView(pm[1] as string)
      : dep
        ? await (mode === 'client' ? clientDeploymentView : deploymentView)(
            dep[1] as string,
            p,
            (s) => (stop = s),
          )
        : await (build as () => Promise<HTMLElement>)();
    // The overview and history follow what happens: the server's change stream (polling while it
    // is down) rebuilds them, swapped in when their text changed and no dialog is open.
    if (build) {
      let busy = false;
      const changed = async () => {
        if (busy || document.querySelector('dialog[open]')) return;
        busy = true;
        const fresh = await build().catch(() => null);
        busy = false;
        const current = main.firstElementChild;
        if (!fresh || mine !== navigation || document.querySelector('dialog[open]')) return;
        if (current && current.textContent === fresh.textContent) return;
        const focused = document.activeElement?.getAttribute('data-action');
        mount(main, fresh);
        if (focused) main.querySelector<HTMLElement>(`[data-action="${focused}"]`)?.focus();
      };
      stop = follow({ changed: () => void changed(), pollMs: POLL_MS });
    }
    if (mine !== navigation) {
      (stop as (() => void) | null)?.(); // a live view nobody will see: close its stream
      return;
    }
    leave = stop;
    mount(main, view);
  } catch (e) {
    if (mine === navigation) mount(main, h('p', { class: 'error', role: 'alert' }, (e as Error).message));
  }
}

window.addEventListener('hashchange', () => void route());
void route();
