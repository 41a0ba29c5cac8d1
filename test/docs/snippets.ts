/**
 * The fenced examples of a Markdown guide, with the directives written as HTML comments on the lines just
 * above a fence (invisible when the guide is rendered):
 *
 *   <!-- skip: <reason> -->     not run; the reason is printed in the docs test's report (a reason is required)
 *   <!-- file: <path> -->       the block's text is written to <path> in the guide's working directory
 *   <!-- output -->             (on a `text` block) what the shell block before it prints; `...` alone on a
 *                               line matches any lines, `...` inside a line matches any text
 *   <!-- expect: <status> -->   (on an `http` block) the status the request must get; any 2xx otherwise
 *   <!-- exit: <code> -->       (on a shell block) the exit status it must end with; 0 otherwise
 *
 * and, anywhere in the guide, the server the examples run against:
 *
 *   <!-- server: <flags> -->    extra `openexpert server` flags, e.g. `--auth`
 *   <!-- env: K=V K2=V2 -->     environment for the server and every example (e.g. the bootstrap admin)
 */
export interface Snippet {
  readonly lang: string;
  readonly code: string;
  /** 1-based line of the opening fence, for messages that point into the guide. */
  readonly line: number;
  readonly directives: Readonly<Record<string, string>>;
}

export interface Guide {
  readonly snippets: readonly Snippet[];
  readonly serverFlags: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

const DIRECTIVE = /^<!--\s*([a-z]+)(?::\s*(.*?))?\s*-->$/;
const KNOWN = new Set(['skip', 'file', 'output', 'expect', 'exit', 'server', 'env']);

export function parseGuide(markdown: string): Guide {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  const serverFlags: string[] = [];
  const env: Record<string, string> = {};
  let pending: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const directive = DIRECTIVE.exec(line);
    if (directive) {
      const [, name, value = ''] = directive;
      if (!KNOWN.has(name!)) continue; // an ordinary HTML comment
      if (name === 'server') serverFlags.push(...value.split(/\s+/).filter(Boolean));
      else if (name === 'env') for (const pair of value.split(/\s+/).filter(Boolean)) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new Error(`line ${i + 1}: env directive needs K=V pairs, got '${pair}'`);
        env[pair.slice(0, eq)] = pair.slice(eq + 1);
      } else {
        if (name === 'skip' && value === '') throw new Error(`line ${i + 1}: a skipped example must say why (<!-- skip: reason -->)`);
        pending[name!] = value;
      }
      continue;
    }
    const fence = /^(`{3,})\s*([\w-]*)/.exec(line);
    if (fence) {
      const start = i;
      const body: string[] = [];
      // The closing fence is at least as long as the opening one, indented or not.
      while (++i < lines.length && !lines[i]!.trim().startsWith(fence[1]!)) body.push(lines[i]!);
      if (i >= lines.length) throw new Error(`line ${start + 1}: code fence is never closed`);
      snippets.push({ lang: fence[2]!.toLowerCase(), code: body.join('\n') + '\n', line: start + 1, directives: pending });
      pending = {};
      continue;
    }
    if (line !== '') pending = {}; // directives belong to the fence right below them
  }
  return { snippets, serverFlags, env };
}

/** Compares printed output with the guide's expected output, `...` matching any text (or any lines). */
export function outputMatches(expected: string, actual: string): boolean {
  const want = expected.replace(/\s+$/, '').split('\n').map((l) => l.trimEnd());
  const got = actual.replace(/\s+$/, '').split('\n').map((l) => l.trimEnd());
  const lineMatches = (pattern: string, text: string) =>
    new RegExp(`^${pattern.split('...').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(text);
  const match = (w: number, g: number): boolean => {
    if (w === want.length) return g === got.length;
    if (want[w]!.trim() === '...') {
      for (let k = g; k <= got.length; k++) if (match(w + 1, k)) return true;
      return false;
    }
    return g < got.length && lineMatches(want[w]!, got[g]!) && match(w + 1, g + 1);
  };
  return match(0, 0);
}

/** How a fenced block is treated: run by an interpreter, checked as data, or prose (output, plain text). */
export type SnippetKind = 'shell' | 'typescript' | 'python' | 'http' | 'yaml' | 'json' | 'text';

export function kindOf(lang: string): SnippetKind {
  if (['bash', 'sh', 'shell', 'console'].includes(lang)) return 'shell';
  if (['ts', 'typescript', 'js', 'javascript', 'mjs'].includes(lang)) return 'typescript';
  if (['py', 'python'].includes(lang)) return 'python';
  if (lang === 'http') return 'http';
  if (['yaml', 'yml'].includes(lang)) return 'yaml';
  if (lang === 'json') return 'json';
  return 'text';
}
