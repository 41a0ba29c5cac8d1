import { CircleCheck, TriangleAlert, X } from 'lucide-react';
import { useSyncExternalStore } from 'react';

/**
 * Short notes that an action worked (or did not), shown at the bottom right for a few seconds and read out by
 * screen readers. Any page calls `toast(...)`; the shell renders them.
 */
export interface Toast {
  readonly id: number;
  readonly message: string;
  readonly kind: 'ok' | 'danger';
}

let toasts: readonly Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const emit = () => { for (const l of listeners) l(); };
const SHOWN_MS = 5000;

export function dismissToast(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

export function toast(message: string, kind: Toast['kind'] = 'ok'): void {
  const id = nextId++;
  toasts = [...toasts.slice(-3), { id, message, kind }];
  emit();
  setTimeout(() => dismissToast(id), kind === 'danger' ? SHOWN_MS * 2 : SHOWN_MS);
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => { listeners.delete(l); };
};

export function Toasts() {
  const shown = useSyncExternalStore(subscribe, () => toasts);
  return (
    <section className="toasts" aria-label="Notifications" aria-live="polite" data-testid="toasts">
      {shown.map((t) => (
        <div key={t.id} className={`toast ${t.kind}`}>
          {t.kind === 'ok' ? <CircleCheck className="icon" aria-hidden="true" /> : <TriangleAlert className="icon" aria-hidden="true" />}
          <span className="toast-text">{t.message}</span>
          <button type="button" onClick={() => dismissToast(t.id)} aria-label="Dismiss"><X className="icon" aria-hidden="true" /></button>
        </div>
      ))}
    </section>
  );
}
