/**
 * Budget alerts go out the way monitoring's alerts do: a JSON POST signed with HMAC-SHA256 over
 * `<timestamp>.<body>` (monitoring's `signWebhook`, same headers, so one receiver verifies both), through the
 * shared durable `WebhookDispatcher`. The alert and its delivery are stored in one transaction
 * (`llm_budget_alerts`, `webhook_deliveries`), so a restart resumes the retries instead of losing them.
 */
import type { Budget, BudgetAlert } from './types.js';
import type { BudgetAlertSink } from './traces.service.js';
import { newDelivery, type DeliveryLog, type WebhookDelivery } from '../monitoring/webhooks.js';

/** `source` of budget alerts in `webhook_deliveries`; their `ownerId` is the budget's id. */
export const BUDGET_DELIVERY_SOURCE = 'llm_budget';

/** The delivery that carries a budget alert to the budget's webhook, if it has one; the alert id is its idempotency key. */
export function budgetAlertDelivery(budget: Budget, alert: BudgetAlert): WebhookDelivery | undefined {
  if (!budget.webhookUrl) return undefined;
  const payload = JSON.stringify({
    type: 'budget', level: alert.level, alertId: alert.alertId,
    budget: { id: budget.budgetId, name: budget.name, project: budget.project, scope: budget.scope, subject: budget.subject ?? null, period: budget.period, hardStop: budget.hardStop },
    spentUsd: alert.spentUsd, limitUsd: alert.limitUsd, periodStart: new Date(alert.periodStart).toISOString(), at: new Date(alert.at).toISOString(),
  });
  return newDelivery({ deliveryId: alert.alertId, source: BUDGET_DELIVERY_SOURCE, ownerId: budget.budgetId, kind: 'budget', url: budget.webhookUrl, secret: budget.webhookSecret, payload }, alert.at);
}

/** Logs a raised alert and wakes the dispatcher, so its delivery goes out now rather than at the next poll. */
export class DispatchedBudgetAlerts implements BudgetAlertSink {
  constructor(private readonly log: DeliveryLog, private readonly dispatcher: { kick(): void }) {}

  raised(budget: Budget, alert: BudgetAlert): void {
    this.log.warn({ budget: budget.name, level: alert.level, spentUsd: alert.spentUsd, limitUsd: alert.limitUsd }, `budget ${budget.name}: ${alert.level}`);
    if (budget.webhookUrl) this.dispatcher.kick();
  }
}
