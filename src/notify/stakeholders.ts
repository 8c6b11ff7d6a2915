/**
 * The checklist item "stakeholders notified" (`stakeholders-notified`) is ticked by slipway when
 * a notification about the deployment was delivered: the tick names the subscription and event,
 * and is audited like a person's tick (`gate.checklist.tick`, identity `notification`).
 */
import type { SlipwayConfig } from '../config/schema.ts';
import { isTerminal } from '../domain/types.ts';
import { checklistItems } from '../gates/checklist.ts';
import { record } from '../gates/decisions.ts';
import type { Store } from '../store/contract.ts';
import type { Delivery } from './contract.ts';

export const STAKEHOLDERS_ITEM = 'stakeholders-notified';

/** Tick the item for `delivery`'s deployment when its checklist has it; true when this delivery ticked it. */
export async function tickStakeholdersNotified(
  store: Store,
  config: Pick<SlipwayConfig, 'environments'>,
  delivery: Delivery,
): Promise<boolean> {
  if (!delivery.deploymentId) return false;
  const d = await store.getDeployment(delivery.deploymentId);
  if (!d || isTerminal(d.status)) return false;
  const item = checklistItems(config.environments[d.env]?.checklist).find((i) => i.id === STAKEHOLDERS_ITEM);
  if (!item) return false;
  const note = `notification ${delivery.event} delivered to ${delivery.subscription}`;
  const { created } = await store.tickChecklistItem({
    deploymentId: d.id,
    item: item.id,
    user: 'slipway',
    note,
  });
  if (created)
    await record(
      store,
      d,
      'slipway',
      'gate.checklist.tick',
      `checked "${item.text}" (${item.id}): ${note}`,
      { item: item.id, note },
      'notification',
    );
  return created;
}
