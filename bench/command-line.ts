/**
 * The command a benchmark was run with, as a line a reader can paste into a POSIX shell:
 * arguments with spaces or shell characters are single-quoted.
 */
export function commandLine(script: string, args: readonly string[]): string {
  return ["npx tsx", script, ...args.map(shellWord)].join(" ");
}

function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
