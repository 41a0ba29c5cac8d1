import { Inbox, type LucideIcon } from 'lucide-react';
import type { ReactNode } from 'react';

/**
 * What an empty page says: what would be here, and the command or client call that puts it there
 * (copyable as it is). `commands` are shown one per line in a code block.
 */
export function EmptyState({ title, children, commands, icon: Icon = Inbox, testId = 'empty-state' }: {
  title: string;
  children?: ReactNode;
  commands?: readonly string[];
  icon?: LucideIcon;
  testId?: string;
}) {
  return (
    <div className="empty" data-testid={testId}>
      <Icon className="icon" aria-hidden="true" />
      <div>
        <p className="empty-title">{title}</p>
        {children ? <p>{children}</p> : null}
        {commands && commands.length > 0 ? <pre><code>{commands.join('\n')}</code></pre> : null}
      </div>
    </div>
  );
}
