/** Explanations of model versions; spec and result are JSON text, times epoch milliseconds. */
export interface ExplanationTables {
  explanations: {
    id: string; model_name: string; model_version: number; data_name: string; methods: string; spec: string; result: string; created_by: string; created_at: number;
  };
}
