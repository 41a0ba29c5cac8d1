import {
  Activity, BookOpen, Boxes, ClipboardCheck, Database, FlaskConical, FolderKanban, GitPullRequestArrow, House, Layers, ListTree,
  MessageSquareText, Shield, SlidersHorizontal, Workflow, type LucideIcon,
} from 'lucide-react';

/**
 * The icon of each top-level page, by its path (lucide icons, drawn inline as SVG, so the CSP needs nothing new).
 * A module whose path is not here gets the generic one; the icon is decoration, the label names the page.
 */
const NAV_ICONS: Readonly<Record<string, LucideIcon>> = {
  '/': House,
  '/experiments': FlaskConical,
  '/models': Boxes,
  '/promotions': GitPullRequestArrow,
  '/datasets': Database,
  '/evaluations': ClipboardCheck,
  '/pipelines': Workflow,
  '/sweeps': SlidersHorizontal,
  '/features': Layers,
  '/prompts': MessageSquareText,
  '/traces': ListTree,
  '/monitoring': Activity,
  '/projects': FolderKanban,
  '/api-reference': BookOpen,
  '/admin': Shield,
};

export function NavIcon({ to }: { to: string }) {
  const Icon = NAV_ICONS[to] ?? Layers;
  return <Icon className="icon" aria-hidden="true" />;
}

export { NAV_ICONS };
