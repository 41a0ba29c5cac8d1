import { describe, expect, it } from 'vitest';
import { parsePromptFile } from './prompt-file.js';
import { renderTemplate, templateProblems, templateVariables } from './template.js';

describe('prompt templates', () => {
  it("finds variables as MLflow's pattern does: double braces, optional spaces, dotted names", () => {
    expect(templateVariables('Hi {{ name }}, {{name}} again; {{customer.email}} {{ 9bad }} {x} {{a b}}')).toEqual(['name', 'customer.email']);
    expect(templateVariables([{ role: 'system', content: '{{a}}' }, { role: 'user', content: '{{b}} {{a}}' }])).toEqual(['a', 'b']);
  });

  it('names every malformed placeholder with its line, and a mismatch with the declared variables', () => {
    expect(templateProblems('ok {{a}}\nbad {{ a b }} and {{}}\nopen {{c', ['a', 'z'])).toEqual([
      "line 2: '{{ a b }}' is not a variable (a name of letters, digits, _ and dots)",
      "line 2: '{{}}' is not a variable (a name of letters, digits, _ and dots)",
      "line 3: '{{' is not closed with '}}'",
      'declared but not used: z',
    ]);
    expect(templateProblems([{ role: 'user', content: 'x\n{{ y' }])).toEqual(["message 1 line 2: '{{' is not closed with '}}'"]);
    expect(templateProblems('{{a}} {{b}}', ['a'])).toEqual(['used but not declared in variables: b']);
  });

  it('renders with every variable given, and refuses missing or unknown ones', () => {
    expect(renderTemplate('{{ a }}-{{a}}-{{b.c}}', { a: 1, 'b.c': true })).toBe('1-1-true');
    expect(() => renderTemplate('{{a}} {{b}}', { a: 'x' })).toThrow('No value for variable b');
    expect(() => renderTemplate('{{a}}', { a: 'x', z: 'y' })).toThrow('Not a variable of this template: z (its variables: a)');
  });
});

describe('prompt files', () => {
  it('reads front matter and takes the rest as the template, without the final newline', () => {
    expect(parsePromptFile('support/summarize.md', '---\ndescription: d\nvariables: [t]\ntags: { team: s, n: 3 }\n---\nSum {{t}}\n')).toEqual({
      name: 'summarize', template: 'Sum {{t}}', file: 'support/summarize.md', description: 'd', variables: ['t'], tags: { team: 's', n: '3' },
    });
    expect(parsePromptFile('plain.txt', 'Just {{x}}\n\n')).toMatchObject({ name: 'plain', template: 'Just {{x}}\n' });
  });

  it('reads chat prompts from YAML and refuses what a prompt file cannot hold', () => {
    expect(parsePromptFile('t.yaml', 'name: triage\nmessages:\n  - { role: system, content: "Route {{p}}" }\n')).toMatchObject({ name: 'triage', template: [{ role: 'system', content: 'Route {{p}}' }] });
    expect(() => parsePromptFile('t.yaml', 'template: a\nmessages: []\n')).toThrow(/messages must be a non-empty list/);
    expect(() => parsePromptFile('t.yaml', 'template: a\nmodel: x\n')).toThrow("t.yaml: unknown key(s) model");
    expect(() => parsePromptFile('t.md', '---\ntemplate: a\n---\nbody')).toThrow(/template and messages belong in .yaml files/);
    expect(() => parsePromptFile('t.yaml', 'description: x\n')).toThrow('t.yaml: no template');
  });
});
