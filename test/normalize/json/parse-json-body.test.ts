import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseJsonBody } from "../../../src/normalize/json/parse-json-body.ts";

const limits = { maxBytes: 1024, maxDepth: 8 };
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("accepted bodies", () => {
  const table: [string, unknown][] = [
    [`{"a":[1,{"b":null}]}`, { a: [1, { b: null }] }],
    [`"text"`, "text"],
    [`42`, 42],
    [` [ ] `, []],
    [`{"s":"[[[[[[[[[[[[[[{{{{{{{{{{"}`, { s: "[[[[[[[[[[[[[[{{{{{{{{{{" }],
    [`{"s":"\\"[[[[[[[[[[[[[[[[\\\\"}`, { s: '"[[[[[[[[[[[[[[[[\\' }],
    [`{"é":"日本語 🎉"}`, { é: "日本語 🎉" }],
  ];
  for (const [text, value] of table) {
    test(text, () => expect(parseJsonBody(utf8(text), limits)).toEqual({ ok: true, value }));
  }

  test("a leading byte order mark is dropped", () => {
    expect(parseJsonBody(new Uint8Array([0xef, 0xbb, 0xbf, 0x31]), limits)).toEqual({ ok: true, value: 1 });
  });

  test('"__proto__" stays an own key', () => {
    const r = parseJsonBody(utf8(`{"__proto__":{"x":1}}`), limits);
    expect(r.ok && Object.getPrototypeOf(r.value)).toBe(Object.prototype);
    expect(r.ok && Object.keys(r.value as object)).toEqual(["__proto__"]);
  });
});

describe("refusals", () => {
  const reason = (bytes: Uint8Array, l = limits): string | null => {
    const r = parseJsonBody(bytes, l);
    return r.ok ? null : r.reason;
  };

  test("too-large: one byte over the cap; exactly the cap passes", () => {
    const atCap = utf8(`"${"x".repeat(1022)}"`);
    expect(atCap.length).toBe(1024);
    expect(reason(atCap)).toBeNull();
    const over = utf8(`"${"x".repeat(1023)}"`);
    const r = parseJsonBody(over, limits);
    expect(r).toMatchObject({ ok: false, reason: "too-large" });
    expect(r.ok ? "" : r.message).toContain("1025 bytes");
  });

  test("too-deep: 100,000 nested [ are refused before JSON.parse sees them", () => {
    const deep = utf8("[".repeat(100_000) + "]".repeat(100_000));
    expect(parseJsonBody(deep, { maxBytes: 1_000_000, maxDepth: 64 })).toMatchObject({ ok: false, reason: "too-deep" });
    const unclosed = utf8("[".repeat(100_000));
    expect(reason(unclosed, { maxBytes: 1_000_000, maxDepth: 64 })).toBe("too-deep");
  });

  test("too-deep: exactly maxDepth levels pass, one more fails; objects count too", () => {
    expect(reason(utf8("[".repeat(8) + "]".repeat(8)))).toBeNull();
    expect(reason(utf8("[".repeat(9) + "]".repeat(9)))).toBe("too-deep");
    expect(reason(utf8(`{"a":`.repeat(8) + "1" + "}".repeat(8)))).toBeNull();
    expect(reason(utf8(`{"a":`.repeat(9) + "1" + "}".repeat(9)))).toBe("too-deep");
    expect(reason(utf8("[".repeat(8) + "]".repeat(8) + "[".repeat(8) + "]".repeat(8)))).not.toBe("too-deep"); // siblings, not nesting
    expect(reason(utf8("1"), { maxBytes: 10, maxDepth: 0 })).toBeNull();
    expect(reason(utf8("[]"), { maxBytes: 10, maxDepth: 0 })).toBe("too-deep");
  });

  test("not-utf8", () => {
    const cases = [
      [0x22, 0xff, 0x22], // never valid
      [0x22, 0xc0, 0x80, 0x22], // overlong NUL
      [0x22, 0xed, 0xa0, 0x80, 0x22], // an encoded surrogate
      [0x22, 0xe6, 0x97, 0x22], // truncated sequence
      [0x22, 0x80, 0x22], // stray continuation byte
    ];
    for (const bytes of cases) expect(reason(new Uint8Array(bytes))).toBe("not-utf8");
  });

  test("syntax", () => {
    for (const text of ["", "{bad", "[1,]", "{'a':1}", "NaN", "[1] [2]", "]]]"]) {
      const r = parseJsonBody(utf8(text), limits);
      expect(r).toMatchObject({ ok: false, reason: "syntax" });
    }
    expect(parseJsonBody(utf8(""), limits)).toMatchObject({ message: "JSON body is empty" });
  });

  test("number-range: a number beyond double range, named by its JSON Pointer", () => {
    const cases: [string, string][] = [
      [`1e400`, "/"],
      [`-1E+400`, "/"],
      [`{"a":{"b/c":[0,1,2e400]}}`, "/a/b~1c/2"],
      [`[1,${"9".repeat(400)}]`, "/1"],
      [`[1,${"9".repeat(400)},"x"]`, "/1"],
      [`{"a":${"9".repeat(400)},"b":{}}`, "/a"],
      [`{"x":1,"~":-${"1".repeat(320)}.5}`, "/~0"],
    ];
    for (const [text, pointer] of cases) {
      expect(parseJsonBody(utf8(text), { maxBytes: 4096, maxDepth: 8 })).toEqual({ ok: false, reason: "number-range", message: `the number at ${pointer} is beyond the range of a double (it would be read as Infinity)` });
    }
  });

  test("numbers in range, and exponents or long runs that are not numbers, pass", () => {
    for (const text of [`1e308`, `-1.7976931348623157e308`, `1e-400`, `[true,false,1e5]`, `{"s":"1e400"}`, `["${"9".repeat(400)}"]`, `[1,${" ".repeat(400)}2]`, `${"1".repeat(299)}`]) {
      const r = parseJsonBody(utf8(text), { maxBytes: 4096, maxDepth: 8 });
      expect({ text, r }).toEqual({ text, r: { ok: true, value: JSON.parse(text) } });
    }
  });

  test("the cheaper check answers first", () => {
    const deepAndBig = utf8("[".repeat(2000));
    expect(reason(deepAndBig)).toBe("too-large");
    expect(reason(new Uint8Array([0x5b, 0x5b, 0x5b, 0x5b, 0x5b, 0x5b, 0x5b, 0x5b, 0x5b, 0xff]))).toBe("too-deep");
    expect(reason(new Uint8Array([0x7b, 0xff]))).toBe("not-utf8");
  });
});

test("never throws, and agrees with JSON.parse on valid UTF-8 within the limits", () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.jsonValue({ maxDepth: 6 }).map((v) => utf8(JSON.stringify(v)))), (bytes) => {
      const r = parseJsonBody(bytes, { maxBytes: 4096, maxDepth: 16 });
      if (r.ok) expect(r.value).toEqual(JSON.parse(new TextDecoder().decode(bytes)));
      else expect(["too-large", "not-utf8", "too-deep", "syntax"]).toContain(r.reason);
    }),
    { numRuns: 500 },
  );
});

/** Whether a parsed value holds a number that is not finite. */
const holdsInfinity = (v: unknown): boolean =>
  typeof v === "number" ? !Number.isFinite(v) : typeof v === "object" && v !== null && Object.values(v).some(holdsInfinity);

test("refuses a body exactly when JSON.parse would read a number as Infinity", () => {
  // Numbers as text: exponents up to ±999, integer and fraction runs up to 400 digits, and words
  // with an "e" beside them, inside arrays and objects with some whitespace.
  const digits = (max: number) => fc.integer({ min: 1, max }).chain((n) => fc.stringMatching(new RegExp(`^[1-9][0-9]{${n - 1}}$`)));
  const numberText = fc.tuple(fc.boolean(), fc.oneof(digits(4), digits(400)), fc.option(digits(3)), fc.option(fc.tuple(fc.constantFrom("e", "E", "e+", "e-"), fc.integer({ min: 0, max: 999 }))))
    .map(([neg, int, frac, exp]) => `${neg ? "-" : ""}${int}${frac === null ? "" : "." + frac}${exp === null ? "" : exp[0] + exp[1]}`);
  const scalar = fc.oneof(numberText, fc.constantFrom("true", "false", "null", '"1e400"', '"e"'));
  const body = fc.array(fc.tuple(scalar, fc.constantFrom("", " ", "\n  ")), { maxLength: 6 }).chain((items) =>
    fc.constantFrom(
      `[${items.map(([v, ws]) => ws + v).join(",")}]`,
      `{${items.map(([v, ws], i) => `"k${i}":${ws}${v}`).join(",")}}`,
      items.length > 0 ? items[0]![0] : "0",
    ),
  );
  fc.assert(
    fc.property(body, (text) => {
      const r = parseJsonBody(utf8(text), { maxBytes: 1 << 16, maxDepth: 8 });
      expect({ text, refused: !r.ok && r.reason === "number-range" }).toEqual({ text, refused: holdsInfinity(JSON.parse(text)) });
      if (r.ok) expect(r.value).toEqual(JSON.parse(text));
    }),
    { numRuns: 500 },
  );
});
