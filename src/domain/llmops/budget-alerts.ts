/**
 * Budget alerts go out the way monitoring's alerts do: a JSON POST signed with HMAC-SHA256 over
 * `<timestamp>.<body>` (monitoring's `signWebhook`, same headers, so one receiver verifies both), retried with
 * exponential backoff, and logged. The alert itself is recorded before it is sent (`llm_budget_alerts`).
 */
import type { Budget, BudgetAlert } from './types.js';
import type { BudgetAlertSink } from './traces.service.js';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER, type DeliveryLog } from '../monitoring/webhooks.js';

export interface WebhookBudgetAlertsOptions {
  readonly attempts?: number;
  readonly backoffMs?: number;
  readonly timeoutMs?: number;
}

export class WebhookBudgetAlerts implements BudgetAlertSink {
  private readonly pending = new Set<Promise<void>>();
  constructor(private readonly log: DeliveryLog, private readonly options: WebhookBudgetAlertsOptions = {}) {}

  async raise(budget: Budget, alert: BudgetAlert): Promise<void> {
    this.log.warn({ budget: budget.name, level: alert.level, spentUsd: alert.spentUsd, limitUsd: alert.limitUsd }, `budget ${budget.name}: ${alert.level}`);
    if (!budget.webhookUrl) return;
    const payload = JSON.stringify({
      type: 'budget', level: alert.level, alertId: alert.alertId,
      budget: { id: budget.budgetId, name: budget.name, project: budget.project, scope: budget.scope, subject: budget.subject ?? null, period: budget.period, hardStop: budget.hardStop },
      spentUsd: alert.spentUsd, limitUsd: alert.limitUsd, periodStart: new Date(alert.periodStart).toISOString(), at: new Date(alert.at).toISOString(),
    });
    // Ingest does not wait for receivers.
    const p = this.deliver(budget.webhookUrl, budget.webhookSecret, alert.alertId, payload).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits for deliveries in flight (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async deliver(url: string, secret: string, id: string, payload: string): Promise<void> {
    const attempts = this.options.attempts ?? 5;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const ts = Math.floor(Date.now() / 1000);
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-openexpert-event': 'budget', 'x-openexpert-delivery': id, [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signWebhook(secret, ts, payload) },
          body: payload,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.log.info({ delivery: id, url, attempts: attempt }, 'budget alert delivered');
          return;
        }
        this.log.warn({ delivery: id, url, status: res.status, attempt }, 'budget alert delivery failed');
      } catch (err) {
        this.log.warn({ delivery: id, url, attempt, error: (err as Error).message }, 'budget alert delivery failed');
      }
      if (attempt < attempts) await new Promise((r) => setTimeout(r, (this.options.backoffMs ?? 2000) * 2 ** (attempt - 1)).unref());
    }
  }
}
