import type { Clock } from '../../core/clock.js';
import type { Access } from '../access/access.js';
import type { DeliveryLog } from '../monitoring/webhooks.js';
import type { CostStore } from './cost.store.js';
import { CostService, type CostRuns } from './cost.service.js';
import type { PriceTable } from './types.js';

/**
 * The cost service. Budget alerts with a webhook are queued in `webhook_deliveries` with the alert, and sent by
 * the one WebhookDispatcher every module's deliveries go through: `kick` tells it there is something to send.
 */
export function createCost(store: CostStore, runs: CostRuns, access: Access, clock: Clock, prices: PriceTable, log: DeliveryLog, kick: () => void): CostService {
  return new CostService(store, runs, access, clock, prices, log, kick);
}
