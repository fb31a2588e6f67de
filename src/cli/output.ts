import { inspect } from "node:util";

export interface Output {
  json: boolean;
}

/** `--json` prints one JSON document; otherwise a readable rendering of the same value. */
export function printResult(output: Output, value: unknown): void {
  if (output.json) {
    process.stdout.write(`${JSON.stringify(value)}\n`);
    return;
  }
  process.stdout.write(`${inspect(value, { depth: 6, colors: process.stdout.isTTY, breakLength: 100 })}\n`);
}

export function line(output: Output, text = ""): void {
  if (!output.json) process.stdout.write(`${text}\n`);
}
