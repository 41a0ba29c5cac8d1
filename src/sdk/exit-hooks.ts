/**
 * Runs still open when the process is about to go are flushed and ended: FINISHED when the event loop
 * drains (`beforeExit`), KILLED on SIGINT/SIGTERM. Best effort: `process.exit()` and SIGKILL skip it.
 */
export interface ExitParticipant {
  closeOnExit(status: 'FINISHED' | 'KILLED'): Promise<void>;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** How long a signalled process waits for its last batches before it dies anyway. */
const SIGNAL_GRACE_MS = 5_000;

const open = new Set<ExitParticipant>();
let installed = false;
let signalled = false;

function closeAll(status: 'FINISHED' | 'KILLED'): Promise<unknown> {
  return Promise.all([...open].map((p) => p.closeOnExit(status)));
}

function onBeforeExit(): void {
  // The flush's own requests keep the loop alive; once they are done `open` is empty and this is a no-op.
  if (open.size > 0) void closeAll('FINISHED');
}

function onSignal(signal: NodeJS.Signals): void {
  if (signalled) {
    // A second Ctrl-C: stop waiting.
    uninstall();
    reraise(signal);
    return;
  }
  signalled = true;
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, SIGNAL_GRACE_MS)));
  void Promise.race([closeAll('KILLED'), grace]).then(() => {
    clearTimeout(timer);
    uninstall();
    reraise(signal);
  });
}

/** Our listener replaced the default action; with it gone, re-sending the signal ends the process as it would have. */
function reraise(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('beforeExit', onBeforeExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  signalled = false;
  process.off('beforeExit', onBeforeExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

export function registerForExit(p: ExitParticipant): void {
  open.add(p);
  install();
}

export function unregisterForExit(p: ExitParticipant): void {
  open.delete(p);
  if (open.size === 0 && !signalled) uninstall();
}
