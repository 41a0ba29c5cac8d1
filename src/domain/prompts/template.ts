import { invalid } from '../../core/errors.js';

/**
 * Prompt templates as MLflow 3 writes them: `{{ variable }}` in double braces, a variable being a dotted identifier
 * (MLflow's PROMPT_TEMPLATE_VARIABLE_PATTERN, mlflow/prompt/constants.py). A chat template is a list of messages whose
 * contents are templates of the same kind.
 */
export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}
export type Template = string | readonly ChatMessage[];

const VARIABLE = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z_][a-zA-Z0-9_]*)*)\s*\}\}/g;
/** Anything that opens a placeholder: `{{` up to the next `}}` or the end of the line. */
const PLACEHOLDER = /\{\{(.*?)(\}\}|$)/gm;

const texts = (t: Template): string[] => (typeof t === 'string' ? [t] : t.map((m) => m.content));

/** The variables a template uses, each once, in order of first use. */
export function templateVariables(t: Template): string[] {
  const seen = new Set<string>();
  for (const text of texts(t)) for (const m of text.matchAll(VARIABLE)) seen.add(m[1]!);
  return [...seen];
}

/**
 * What is wrong with a template: a `{{` that is not a well-formed variable (a space inside the name, an empty
 * `{{}}`, a missing `}}`), and, when the file declares its variables, any used but not declared or declared but
 * not used. Each problem names the line (and message) where it is.
 */
export function templateProblems(t: Template, declared?: readonly string[]): string[] {
  const problems: string[] = [];
  texts(t).forEach((text, i) => {
    const where = typeof t === 'string' ? '' : `message ${i + 1} `;
    text.split('\n').forEach((line, n) => {
      for (const m of line.matchAll(PLACEHOLDER)) {
        const whole = m[0];
        if (new RegExp(`^${VARIABLE.source}$`).test(whole)) continue;
        problems.push(m[2] === '' ? `${where}line ${n + 1}: '{{' is not closed with '}}'` : `${where}line ${n + 1}: '${whole}' is not a variable (a name of letters, digits, _ and dots)`);
      }
    });
  });
  if (declared) {
    const used = templateVariables(t);
    const undeclared = used.filter((v) => !declared.includes(v));
    const unused = declared.filter((v) => !used.includes(v));
    if (undeclared.length) problems.push(`used but not declared in variables: ${undeclared.join(', ')}`);
    if (unused.length) problems.push(`declared but not used: ${unused.join(', ')}`);
  }
  return problems;
}

export function checkTemplate(t: Template, declared: readonly string[] | undefined, what: string): void {
  if (typeof t === 'string' ? t.trim() === '' : t.length === 0) throw invalid(`${what}: the template is empty`);
  const problems = templateProblems(t, declared);
  if (problems.length) throw invalid(`${what}: ${problems.join('; ')}`);
}

/** The template with every variable filled in; a variable without a value is an error, a value no variable uses is too. */
export function renderTemplate(t: Template, values: Readonly<Record<string, string | number | boolean>>): Template {
  const used = templateVariables(t);
  const missing = used.filter((v) => !(v in values));
  const extra = Object.keys(values).filter((k) => !used.includes(k));
  if (missing.length) throw invalid(`No value for variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  if (extra.length) throw invalid(`Not a variable of this template: ${extra.join(', ')} (its variables: ${used.join(', ') || 'none'})`);
  const fill = (text: string) => text.replace(VARIABLE, (_whole, name: string) => String(values[name]));
  return typeof t === 'string' ? fill(t) : t.map((m) => ({ role: m.role, content: fill(m.content) }));
}
