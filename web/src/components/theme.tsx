import { Moon, Sun } from 'lucide-react';
import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';

type Theme = 'light' | 'dark';
const KEY = 'openexpert.theme';
const ThemeContext = createContext<{ theme: Theme; toggle(): void }>({ theme: 'light', toggle: () => undefined });

/** index.html sets data-theme before the first paint; this keeps it, the saved choice and the charts in step. */
export function ThemeProvider({ children }: { children: ReactNode }) {
  const [theme, setTheme] = useState<Theme>(() => (document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light'));
  const toggle = useCallback(() => {
    setTheme((t) => {
      const next = t === 'dark' ? 'light' : 'dark';
      document.documentElement.dataset.theme = next;
      try {
        localStorage.setItem(KEY, next);
      } catch {
        // private mode: the choice lasts for this page only
      }
      return next;
    });
  }, []);
  return <ThemeContext.Provider value={{ theme, toggle }}>{children}</ThemeContext.Provider>;
}

export const useTheme = () => useContext(ThemeContext);

export function ThemeToggle() {
  const { theme, toggle } = useTheme();
  return (
    <button type="button" className="with-icon" onClick={toggle} aria-pressed={theme === 'dark'} title="Switch between the light and dark theme">
      {theme === 'dark' ? <Moon className="icon" aria-hidden="true" /> : <Sun className="icon" aria-hidden="true" />}
      Dark theme
    </button>
  );
}
