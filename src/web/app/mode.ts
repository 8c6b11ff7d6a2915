/**
 * Which view a reader gets: people who ship (deployers, admins) get the detailed view; viewers and
 * approvers the client view, in plain words. Either is one click away; the choice is remembered.
 */
import type { Me } from './api.ts';

export type Mode = 'client' | 'detailed';
const KEY = 'slipway.view';

export function isEngineer(me: Me): boolean {
  return me.grants.some((g) => g.role === 'deployer' || g.role === 'admin');
}

export function currentMode(me: Me): Mode {
  const chosen = localStorage.getItem(KEY);
  if (chosen === 'client' || chosen === 'detailed') return chosen;
  return isEngineer(me) ? 'detailed' : 'client';
}

export function chooseMode(mode: Mode): void {
  localStorage.setItem(KEY, mode);
}
