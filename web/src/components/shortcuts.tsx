import { Keyboard } from 'lucide-react';
import { useEffect, useRef } from 'react';
import { useNavigate } from 'react-router';

/** The keys the whole UI answers, as the `?` list shows them. */
export const SHORTCUTS: readonly { readonly keys: string[]; readonly what: string }[] = [
  { keys: ['/'], what: 'Focus the filter or search box of the page' },
  { keys: ['j'], what: 'Select the next row of the list' },
  { keys: ['k'], what: 'Select the previous row of the list' },
  { keys: ['Enter'], what: 'Open the selected row' },
  { keys: ['x'], what: 'Tick or untick the selected row (runs: choose them for comparison)' },
  { keys: ['c'], what: 'Compare the ticked runs' },
  { keys: ['g', 'h'], what: 'Go home' },
  { keys: ['g', 'e'], what: 'Go to experiments' },
  { keys: ['g', 'm'], what: 'Go to models' },
  { keys: ['g', 'p'], what: 'Go to promotion requests' },
  { keys: ['?'], what: 'Show this list' },
];

const GO_TO: Readonly<Record<string, string>> = { h: '/', e: '/experiments', m: '/models', p: '/promotions', d: '/datasets' };

/** Keys typed into a field are the field's. */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(target.type);
}

const visible = (el: Element) => (el as HTMLElement).offsetParent !== null || (el as HTMLElement).getClientRects().length > 0;

/** The page's filter: a search form's field first, then any field in the page's filter bar. */
function filterField(): HTMLElement | undefined {
  const candidates = document.querySelectorAll<HTMLElement>(
    'main [role=search] input:not([type=checkbox]), main input[type=search], main form.filters input, main .toolbar input:not([type=checkbox]):not([type=radio])',
  );
  return [...candidates].find(visible);
}

/** The rows `j`/`k` move through: the body rows of the page's first visible table (or a list marked `data-kbd-list`). */
function listRows(): HTMLElement[] {
  const lists = [...document.querySelectorAll<HTMLElement>('main [data-kbd-list], main table')].filter(visible);
  for (const list of lists) {
    const rows = list.matches('table')
      ? [...list.querySelectorAll<HTMLElement>(':scope > tbody > tr')].filter((r) => r.querySelector('a, input[type=checkbox]') && !r.classList.contains('spacer'))
      : [...list.querySelectorAll<HTMLElement>(':scope > li')];
    if (rows.length > 0) return rows;
  }
  return [];
}

function moveSelection(step: 1 | -1): void {
  const rows = listRows();
  if (rows.length === 0) return;
  const at = rows.findIndex((r) => r.classList.contains('kbd-selected'));
  const next = rows[at < 0 ? (step === 1 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, at + step))]!;
  for (const r of document.querySelectorAll('.kbd-selected')) r.classList.remove('kbd-selected');
  next.classList.add('kbd-selected');
  next.dataset.kbdSelected = 'true';
  const focusable = next.querySelector<HTMLElement>('a[href]') ?? next.querySelector<HTMLElement>('input, button');
  focusable?.focus({ preventScroll: true });
  next.scrollIntoView({ block: 'nearest' });
}

function toggleSelected(): void {
  const row = document.querySelector<HTMLElement>('main .kbd-selected');
  row?.querySelector<HTMLInputElement>('input[type=checkbox]')?.click();
}

/** The page's compare action (the runs table's "Compare selected"), when it can be used. */
function compare(): void {
  const action = [...document.querySelectorAll<HTMLElement>('main button, main a')].find(
    (el) => /^compare/i.test(el.textContent?.trim() ?? '') && !(el as HTMLButtonElement).disabled && visible(el),
  );
  action?.click();
}

/** Listens for the shortcuts everywhere in the shell and shows their list on `?`. */
export function Shortcuts() {
  const navigate = useNavigate();
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    let gAt = 0;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      if (dialog.current?.open && e.key !== '?') return;
      const afterG = Date.now() - gAt < 1500;
      gAt = 0;
      if (afterG && GO_TO[e.key]) {
        e.preventDefault();
        void navigate(GO_TO[e.key]!);
        return;
      }
      switch (e.key) {
        case '/': {
          const field = filterField();
          if (!field) return;
          e.preventDefault();
          field.focus();
          return;
        }
        case 'j': e.preventDefault(); moveSelection(1); return;
        case 'k': e.preventDefault(); moveSelection(-1); return;
        case 'x': toggleSelected(); return;
        case 'c': compare(); return;
        case 'g': gAt = Date.now(); return;
        case '?': {
          e.preventDefault();
          const d = dialog.current;
          if (d?.open) d.close();
          else d?.showModal();
          return;
        }
        default:
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate]);
  return (
    <>
      <button type="button" className="link shortcut-hint" onClick={() => dialog.current?.showModal()}>
        <Keyboard className="icon" aria-hidden="true" /> Keyboard shortcuts <kbd>?</kbd>
      </button>
      <dialog ref={dialog} className="shortcuts" aria-labelledby="shortcuts-title" data-testid="shortcuts">
        <h2 id="shortcuts-title">Keyboard shortcuts</h2>
        <dl className="shortcut-list">
          {SHORTCUTS.map((s) => (
            <div key={s.keys.join(' ')}>
              <dt>{s.keys.map((k, i) => <span key={k}>{i > 0 ? ' then ' : null}<kbd>{k}</kbd></span>)}</dt>
              <dd>{s.what}</dd>
            </div>
          ))}
        </dl>
        <form method="dialog"><button type="submit" className="primary" style={{ marginTop: 'var(--space-3)' }}>Close</button></form>
      </dialog>
    </>
  );
}
