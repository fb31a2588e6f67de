import { describe, expect, it } from "vitest";
import { KeyedMutex } from "./keyed-mutex.js";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("KeyedMutex", () => {
  it("serialises work on one key and keeps going after a failure", async () => {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    const task = (name: string, fail = false) =>
      mutex.run("k", async () => {
        order.push(`${name}:start`);
        await tick();
        order.push(`${name}:end`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([task("a"), task("b", true), task("c")]);
    expect(order).toEqual(["a:start", "a:end", "b:start", "b:end", "c:start", "c:end"]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  });

  it("lets different keys run concurrently", async () => {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    await Promise.all(
      ["x", "y"].map((key) =>
        mutex.run(key, async () => {
          order.push(`${key}:start`);
          await tick();
          order.push(`${key}:end`);
        }),
      ),
    );
    expect(order.slice(0, 2).sort()).toEqual(["x:start", "y:start"]);
  });

  it("runAll holds several keys without deadlocking against a reversed order", async () => {
    const mutex = new KeyedMutex();
    const both = await Promise.all([
      mutex.runAll(["a", "b"], async () => "ab"),
      mutex.runAll(["b", "a"], async () => "ba"),
    ]);
    expect(both).toEqual(["ab", "ba"]);
  });
});
