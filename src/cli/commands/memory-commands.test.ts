import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { makeTempRoot, removeTempRoot } from "../../../test/support/temp-root.js";
import { Memory } from "../../memory.js";
import { NotFoundError } from "../../spec/errors.js";
import { parseCommandLine } from "../args.js";
import { MEMORY_COMMANDS } from "./memory-commands.js";

let root: string;
let memory: Memory;
let bobsId: string;
let printed: string[];

beforeEach(async () => {
  root = await makeTempRoot();
  memory = await Memory.open({ root, logLevel: "silent" });
  bobsId = (await memory.add("Bob's locker code is 4711", { userId: "bob", infer: false })).results[0]!.id;
  printed = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    printed.push(String(chunk));
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await memory.close();
  await removeTempRoot(root);
});

/** Runs `omnimem <argv>` against the open memory, as main.ts does. */
async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine([...argv, "--json"]);
  const [command, ...words] = positionals;
  return MEMORY_COMMANDS[command!]!(memory, values, words, { json: true, color: false });
}

describe("by-id commands with --user/--agent", () => {
  it("get, update, delete and history of another owner's memory are not found, and the memory stays", async () => {
    for (const argv of [
      ["get", bobsId, "--user", "alice"],
      ["update", bobsId, "--user", "alice", "hacked"],
      ["delete", bobsId, "--user", "alice"],
      ["history", bobsId, "--user", "alice"],
      ["get", bobsId, "--agent", "bob"],
    ]) {
      await expect(run(argv), argv.join(" ")).rejects.toBeInstanceOf(NotFoundError);
    }
    expect((await memory.get(bobsId))?.memory).toBe("Bob's locker code is 4711");
    expect((await memory.history(bobsId)).map((row) => row.action)).toEqual(["ADD"]);
  });

  it("the owner gets, updates, deletes and reads the history", async () => {
    expect(await run(["get", bobsId, "--user", "bob"])).toBe(0);
    expect(JSON.parse(printed.pop()!)).toMatchObject({ id: bobsId, userId: "bob" });
    expect(await run(["update", bobsId, "--user", "bob", "--metadata", '{"k":1}', "Bob's", "code", "is", "1234"])).toBe(0);
    expect(JSON.parse(printed.pop()!)).toMatchObject({ id: bobsId, memory: "Bob's code is 1234", metadata: { k: 1 } });
    expect(await run(["delete", bobsId, "--user", "bob"])).toBe(0);
    expect(await run(["history", bobsId, "--user", "bob"])).toBe(0);
    expect((JSON.parse(printed.pop()!) as { action: string }[]).map((row) => row.action)).toEqual(["ADD", "UPDATE", "DELETE"]);
  });
});
