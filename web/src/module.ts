import type { RouteObject } from 'react-router';

/**
 * What a platform module adds to the UI: its entries in the top navigation and its routes. Each module
 * keeps its pages in `pages/<module>/` and lists itself in `modules.ts`; the shell knows nothing else.
 */
export interface UiModule {
  readonly name: string;
  /** `adminOnly` entries show only to a signed-in admin of a server with auth on. */
  readonly nav: readonly { readonly label: string; readonly to: string; readonly adminOnly?: boolean }[];
  readonly routes: readonly RouteObject[];
}
