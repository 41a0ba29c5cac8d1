import { DockerfileParser, type From, type Instruction } from 'dockerfile-ast';

/**
 * The rules our image must keep, checked on the parsed Dockerfile (dockerfile-ast, the parser of the VS Code
 * Docker extension) where no Docker daemon is at hand. Each finding names the line it is about.
 */
export interface DockerfileFacts {
  readonly stages: readonly { readonly name: string | null; readonly image: string }[];
  /** The final stage's ENV, with later values winning. */
  readonly env: Readonly<Record<string, string>>;
  readonly exposed: readonly number[];
  readonly volumes: readonly string[];
  readonly healthcheck?: string;
  readonly user?: string;
}

export interface Finding {
  readonly line: number;
  readonly rule: string;
  readonly message: string;
}

interface Stage {
  readonly from: From;
  readonly instructions: Instruction[];
}

/** An instruction as written, flags included (the parser's argument views leave flags out). */
function written(text: string, i: Instruction): string {
  const { start, end } = i.getRange();
  return text.split('\n').slice(start.line, end.line + 1).join('\n');
}

function stagesOf(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') stages.push({ from: instruction as From, instructions: [] });
    else stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

const lineOf = (i: Instruction) => i.getRange().start.line + 1;
/** Arguments of an exec-form (JSON array) or shell-form instruction, as the text the shell or exec would get. */
const argumentText = (i: Instruction) => i.getArgumentsContent() ?? '';

export function dockerfileFacts(text: string): DockerfileFacts {
  const stages = stagesOf(text);
  const last = stages.at(-1);
  const env: Record<string, string> = {};
  const exposed: number[] = [];
  const volumes: string[] = [];
  let healthcheck: string | undefined;
  let user: string | undefined;
  for (const i of last?.instructions ?? []) {
    const keyword = i.getKeyword();
    if (keyword === 'ENV') for (const p of (i as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties()) env[p.getName()] = p.getValue() ?? '';
    if (keyword === 'EXPOSE') exposed.push(...i.getArguments().map((a) => Number.parseInt(a.getValue(), 10)));
    if (keyword === 'VOLUME') volumes.push(...(JSON.parse(argumentText(i).startsWith('[') ? argumentText(i) : JSON.stringify(i.getArguments().map((a) => a.getValue()))) as string[]));
    if (keyword === 'HEALTHCHECK') healthcheck = argumentText(i);
    if (keyword === 'USER') user = i.getArguments()[0]?.getValue();
  }
  return {
    stages: stages.map((s) => ({ name: s.from.getBuildStage(), image: s.from.getImage() ?? '' })),
    env,
    exposed,
    volumes,
    ...(healthcheck !== undefined ? { healthcheck } : {}),
    ...(user !== undefined ? { user } : {}),
  };
}

/** A full version (major.minor.patch, optionally with a variant such as -bookworm-slim) or a digest. */
const PINNED_TAG = /^v?\d+\.\d+\.\d+(?:[-.][\w.-]+)?$/;

export function lintDockerfile(text: string): Finding[] {
  const findings: Finding[] = [];
  const add = (line: number, rule: string, message: string) => findings.push({ line, rule, message });
  const stages = stagesOf(text);
  if (stages.length === 0) return [{ line: 1, rule: 'from', message: 'no FROM instruction' }];
  const stageNames = new Set<string>();

  for (const { from, instructions } of stages) {
    const image = from.getImageName() ?? '';
    if (!stageNames.has(image)) {
      const tag = from.getImageTag();
      if (from.getImageDigest() === null && (tag === null || !PINNED_TAG.test(tag))) {
        add(lineOf(from), 'pinned-base', `base image '${from.getImage() ?? ''}' is not pinned to a full version tag or a digest`);
      }
    }
    const name = from.getBuildStage();
    if (name) stageNames.add(name);
    for (const i of instructions) {
      const keyword = i.getKeyword();
      if (keyword === 'ADD' && i.getArguments().some((a) => /^(https?|git|ftp):\/\//i.test(a.getValue()) || /^git@/.test(a.getValue()))) {
        add(lineOf(i), 'no-add-url', 'ADD fetches a URL: download in a RUN step with a checksum, or COPY a file');
      }
      if (keyword === 'RUN' && /\bapt-get install\b/.test(argumentText(i))) {
        if (!/--no-install-recommends/.test(argumentText(i))) add(lineOf(i), 'apt-recommends', 'apt-get install without --no-install-recommends');
        if (!/rm -rf \/var\/lib\/apt\/lists/.test(argumentText(i))) add(lineOf(i), 'apt-lists', 'apt-get install without removing /var/lib/apt/lists in the same layer');
      }
    }
  }

  const final = stages.at(-1)!;
  const finalLine = lineOf(final.from);
  const facts = dockerfileFacts(text);
  if (stages.length < 2) add(finalLine, 'multi-stage', 'one stage: build in one stage and copy the result into a small runtime stage');
  const copiesFromBuild = final.instructions.some((i) => i.getKeyword() === 'COPY' && /\s--from=/.test(written(text, i)));
  if (stages.length >= 2 && !copiesFromBuild) add(finalLine, 'multi-stage', 'the runtime stage copies nothing from a build stage');
  for (const i of final.instructions) {
    if (i.getKeyword() === 'COPY' || i.getKeyword() === 'ADD') {
      const chown = /\s--chown=([^\s:]+)/.exec(written(text, i))?.[1];
      if (chown === 'root' || chown === '0') add(lineOf(i), 'chown', 'files handed to root in the runtime stage');
    }
  }
  if (facts.user === undefined) add(finalLine, 'non-root', 'the runtime stage never sets USER, so the server runs as root');
  else if (['root', '0'].includes(facts.user.split(':')[0]!)) add(finalLine, 'non-root', `the runtime stage runs as '${facts.user}'`);
  if (facts.healthcheck === undefined || /^NONE\b/i.test(facts.healthcheck)) add(finalLine, 'healthcheck', 'the runtime stage has no HEALTHCHECK');
  if (facts.exposed.length === 0) add(finalLine, 'expose', 'the runtime stage exposes no port');
  return findings;
}
