import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { FlatHeaders } from "../../src/hooks/flat-headers.ts";

describe("FlatHeaders", () => {
  test("get joins repeated fields, is case-insensitive, null when absent", () => {
    const h = new FlatHeaders(["accept", "a", "x-y", "1", "accept", "b"]);
    expect(h.get("Accept")).toBe("a, b");
    expect(h.get("x-y")).toBe("1");
    expect(h.get("missing")).toBeNull();
    expect(h.has("X-Y")).toBe(true);
    expect(h.has("missing")).toBe(false);
  });

  test("mutations write through to the flat array itself, names lower-cased", () => {
    const flat = ["accept", "a", "x-user", "mallory", "x-user", "eve"];
    const h = new FlatHeaders(flat);
    h.set("X-User", "alice");
    expect(flat).toEqual(["accept", "a", "x-user", "alice"]);
    h.append("Accept", "b");
    expect(flat).toEqual(["accept", "a", "x-user", "alice", "accept", "b"]);
    h.set("X-New", "1");
    expect(flat).toEqual(["accept", "a", "x-user", "alice", "accept", "b", "x-new", "1"]);
    h.delete("ACCEPT");
    expect(flat).toEqual(["x-user", "alice", "x-new", "1"]);
    expect([...h.entries()]).toEqual([["x-user", "alice"], ["x-new", "1"]]);
  });

  const refused: [string, string, string][] = [
    ["CR in value", "x-a", "a\rb"],
    ["LF in value", "x-a", "a\nSet-Cookie: x=1"],
    ["NUL in value", "x-a", "a\0b"],
    ["empty name", "", "v"],
    ["space in name", "x a", "v"],
    ["colon in name", "x:a", "v"],
    ["non-ASCII name", "x-ä", "v"],
  ];
  for (const [what, name, value] of refused) {
    test(`set and append refuse ${what} with a TypeError, leaving the array alone`, () => {
      const flat = ["x-a", "old"];
      const h = new FlatHeaders(flat);
      expect(() => h.set(name, value)).toThrow(TypeError);
      expect(() => h.append(name, value)).toThrow(TypeError);
      expect(flat).toEqual(["x-a", "old"]);
    });
  }

  test("a non-string value is refused", () => {
    const h = new FlatHeaders([]);
    expect(() => h.set("x-a", 5 as unknown as string)).toThrow(TypeError);
  });

  // A model: an ordered list of [name, value]; the flat array must always equal it.
  const name = fc.constantFrom("a", "B", "x-c", "X-C");
  const op = fc.oneof(
    fc.record({ kind: fc.constant("set" as const), name, value: fc.string({ maxLength: 3 }).filter((v) => !/[\r\n\0]/.test(v)) }),
    fc.record({ kind: fc.constant("append" as const), name, value: fc.string({ maxLength: 3 }).filter((v) => !/[\r\n\0]/.test(v)) }),
    fc.record({ kind: fc.constant("delete" as const), name }),
  );
  test("property: any sequence of set/append/delete matches a simple model", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 20 }), (ops) => {
        const flat: string[] = [];
        const h = new FlatHeaders(flat);
        let model: [string, string][] = [];
        for (const o of ops) {
          const n = o.name.toLowerCase();
          if (o.kind === "append") {
            h.append(o.name, o.value);
            model.push([n, o.value]);
          } else if (o.kind === "delete") {
            h.delete(o.name);
            model = model.filter(([k]) => k !== n);
          } else {
            h.set(o.name, o.value);
            const at = model.findIndex(([k]) => k === n);
            if (at === -1) model.push([n, o.value]);
            else model = model.flatMap(([k, v], i): [string, string][] => (k !== n ? [[k, v]] : i === at ? [[k, o.value]] : []));
          }
        }
        expect(flat).toEqual(model.flat());
        for (const n of ["a", "b", "x-c"]) {
          const values = model.filter(([k]) => k === n).map(([, v]) => v);
          expect(h.get(n)).toBe(values.length === 0 ? null : values.join(", "));
        }
      }),
    );
  });
});
