/** A word as a POSIX shell reads it back unchanged: bare when it is safe, else single-quoted. */
const shellWord = (s: string) => (/^[\w.@/:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);

/**
 * The `openexpert evaluate` command that records an evaluation of a version (on `dataset` when a check
 * wants that name): what messages suggest when one is missing. The placeholders in angle brackets are the
 * user's file and columns; everything else runs as printed.
 */
export function evaluateCommand(model: { readonly name: string; readonly version: number }, dataset?: string): string {
  return ['openexpert', 'evaluate', '--model', shellWord(model.name), '--model-version', String(model.version),
    '--data', '<predictions.csv>', '--label', '<label column>', '--score', '<score column>', ...(dataset !== undefined ? ['--name', shellWord(dataset)] : [])].join(' ');
}
