import type { Clock } from '../../core/clock.js';
import type { Access } from '../access/access.js';
import type { MonitoringStore } from './monitoring.store.js';
import { MonitoringService, spawnDetached, type CommandRunner } from './monitoring.service.js';
import { WebhookDispatcher, type DeliveryLog, type DispatcherOptions } from './webhooks.js';

/** The monitoring service with its webhook dispatcher, which retries deliveries in the background until stopped. */
export function createMonitoring(
  store: MonitoringStore, access: Access, clock: Clock, log: DeliveryLog, options: { dispatcher?: DispatcherOptions; runCommand?: CommandRunner } = {},
): { service: MonitoringService; start(): void; stop(): Promise<void> } {
  // The dispatcher reports outcomes to the service, which is built with the dispatcher: tie the knot by reference.
  const owner: { service?: MonitoringService } = {};
  const dispatcher = new WebhookDispatcher(store, clock, log, options.dispatcher, (d, delivered, detail) => owner.service!.onDeliveryOutcome(d, delivered, detail));
  const service = new MonitoringService(store, access, clock, dispatcher, log, options.runCommand ?? spawnDetached);
  owner.service = service;
  return { service, start: () => dispatcher.start(), stop: () => dispatcher.stop() };
}
