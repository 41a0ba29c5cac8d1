import { del, get, put } from './client';

/** A saved view of an experiment's runs (src/api/v1/tracking.routes.ts): a name for a runs-page query string. */
export interface SavedView {
  readonly name: string;
  readonly query: string;
  readonly createdBy: string;
  readonly updatedAt: number;
}

const enc = encodeURIComponent;

export const viewsApi = {
  list: (experimentId: string, signal?: AbortSignal) => get<{ items: SavedView[] }>(`/api/v1/experiments/${enc(experimentId)}/views`, undefined, signal),
  save: (experimentId: string, name: string, query: string) => put<SavedView>(`/api/v1/experiments/${enc(experimentId)}/views/${enc(name)}`, { query }),
  remove: (experimentId: string, name: string) => del<object>(`/api/v1/experiments/${enc(experimentId)}/views/${enc(name)}`),
};
