/**
 * Run as a child process by crash-concurrent.test.ts: `clients` concurrent loops add memories
 * (single turns and batches, several owners) until the process is killed, and print the ids of
 * every add that returned, the moment it returns ("ACK id,id,..."). The parent kills it with
 * SIGKILL at a random point and then checks that every printed id survived.
 */
import { Memory } from "../../src/index.js";

const [root, clientsArg] = process.argv.slice(2);
const clients = Number(clientsArg ?? 8);
const memory = await Memory.open({ root: root!, logLevel: "silent" });
process.stdout.write("READY\n");
let n = 0;
const day = Date.UTC(2026, 4, 1);
await Promise.all(
  Array.from({ length: clients }, async (_, client) => {
    for (;;) {
      const size = n % 5 === 0 ? 20 : 1;
      const turns = Array.from({ length: size }, () => {
        const i = n++;
        // A word of its own per memory, so search can find each one.
        return { role: "user" as const, content: `memory number ${i} mentions token${i}x of client ${client}`, timestamp: day + (i % 3) * 86_400_000 + i };
      });
      const added = await memory.add(turns, { userId: `owner${client % 3}`, infer: false });
      process.stdout.write(`ACK ${added.results.map((event) => `${event.id}=${client % 3}`).join(",")}\n`);
    }
  }),
);
