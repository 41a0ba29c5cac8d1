import type { Clock } from '../../core/clock.js';
import type { Access } from '../access/access.js';
import type { MonitoringStore } from './monitoring.store.js';
import type { ArtifactStore } from '../../artifacts/artifact-store.js';
import { BatchFiles } from './batch-files.js';
import { MonitoringService, spawnDetached, type CommandRunner, type ReferenceDatasets } from './monitoring.service.js';
import { WebhookDispatcher, type DeliveryLog, type DispatcherOptions } from './webhooks.js';

/** The monitoring service with its webhook dispatcher, which retries deliveries in the background until stopped. */
export function createMonitoring(
  store: MonitoringStore, access: Access, clock: Clock, log: DeliveryLog, options: { dispatcher?: DispatcherOptions; runCommand?: CommandRunner; artifacts?: ArtifactStore; datasets?: ReferenceDatasets } = {},
): { service: MonitoringService; start(): void; stop(): Promise<void> } {
  // The dispatcher reports outcomes to the service, which is built with the dispatcher: tie the knot by reference.
  const owner: { service?: MonitoringService } = {};
  const dispatcher = new WebhookDispatcher(store, clock, log, options.dispatcher, (d, delivered, detail) => owner.service!.onDeliveryOutcome(d, delivered, detail));
  const files = options.artifacts ? new BatchFiles(options.artifacts) : undefined;
  const service = new MonitoringService(store, access, clock, dispatcher, log, options.runCommand ?? spawnDetached, files, options.datasets);
  owner.service = service;
  return { service, start: () => dispatcher.start(), stop: async () => {
    await service.stopBackground();
    await dispatcher.stop();
  } };
}
