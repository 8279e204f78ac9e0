import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ConversionFailure } from "../../../src/normalize/json/conversion.ts";
import { dateConversion, parseDateText } from "../../../src/normalize/json/date-value.ts";

const MAY_1 = Date.UTC(2024, 4, 1, 10, 30, 0); // 2024-05-01T10:30:00Z

describe("reading date text", () => {
  const table: [string, number | null][] = [
    ["2024-05-01T10:30:00Z", MAY_1],
    ["2024-05-01t10:30:00z", MAY_1],
    ["2024-05-01T12:30:00+02:00", MAY_1],
    ["2024-05-01T12:30:00+0200", MAY_1],
    ["2024-05-01T12:30+02", MAY_1],
    ["2024-05-01T05:30:00-05:00", MAY_1],
    ["2024-05-01 10:30", MAY_1],
    ["2024-05-01T10:30:00", MAY_1],
    ["2024-05-01T10:30:00.5Z", MAY_1 + 500],
    ["2024-05-01T10:30:00.123456Z", MAY_1 + 123],
    ["2024-05-01T10:30:00,25Z", MAY_1 + 250],
    ["2024-05-01", Date.UTC(2024, 4, 1)],
    ["2024-02-29", Date.UTC(2024, 1, 29)],
    ["0000-01-01T00:00:00Z", -62_167_219_200_000],
    ["2016-12-31T23:59:60Z", Date.UTC(2017, 0, 1)],
    ["Wed, 01 May 2024 10:30:00 GMT", MAY_1],
    ["wed, 01 may 2024 10:30:00 gmt", MAY_1],
    ["1 May 2024 12:30 +0200", MAY_1],
    ["Wed, 1 May 2024 06:30:00 EDT", MAY_1],
    ["Wed, 01 May 24 10:30:00 UT", MAY_1],
    ["Sat, 01 May 99 10:30:00 Z", Date.UTC(1999, 4, 1, 10, 30)],
    ["Wednesday, 01-May-24 10:30:00 GMT", MAY_1],
    ["Wed May  1 10:30:00 2024", MAY_1],
    ["Wed May 01 10:30:00 2024", MAY_1],
    // not dates
    ["", null],
    ["1", null],
    ["May 2", null],
    ["2024-5-1", null],
    ["2024-02-30", null],
    ["2023-02-29", null],
    ["2024-04-31", null],
    ["2024-13-01", null],
    ["2024-05-01T24:00:00Z", null],
    ["2024-05-01T10:60:00Z", null],
    ["2024-05-01T10:30:00+24:00", null],
    ["2024-05-01Z", null],
    ["Wed, 01 Foo 2024 10:30:00 GMT", null],
    ["Wed, 01 May 2024 10:30:00 XYZ", null],
    ["Wed, 01 May 2024 10:30:00 +2500", null],
    [" 2024-05-01", null],
    ["2024-05-01T10:30:00Zx", null],
    ["2024-05-01T10:30:00+01:0", null],
    ["2024-05-01T10:30:00.", null],
    ["2024-05-01T10:3", null],
    ["2024-05-01T10", null],
    ["2024-05-01X10:30", null],
    ["20a4-05-01", null],
    ["Wed, 01 May 2024 10:30:00 GMX", null],
    ["Xyz, 01 May 2024 10:30:00 GMT", null],
    ["Wed, 01 Mäy 2024 10:30:00 GMT", null],
    ["Wed, 31 Apr 2024 10:30:00 GMT", null],
    ["Wed, 01 May 2024 25:30:00 GMT", null],
  ];
  for (const [text, ms] of table) test(`"${text}" → ${ms === null ? "not a date" : new Date(ms).toISOString()}`, () => expect(parseDateText(text)).toBe(ms));
});

describe("date conversions", () => {
  const rfc3339 = dateConversion("rfc3339");
  const epochMs = dateConversion("epoch-ms");
  const epochS = dateConversion("epoch-s");

  test("numbers: epoch ms from 1e11 up (in absolute value), epoch seconds below", () => {
    expect(rfc3339(1714559400)).toBe("2024-05-01T10:30:00.000Z");
    expect(rfc3339(1714559400000)).toBe("2024-05-01T10:30:00.000Z");
    expect(rfc3339(99_999_999_999)).toBe(new Date(99_999_999_999_000).toISOString());
    expect(rfc3339(100_000_000_000)).toBe(new Date(100_000_000_000).toISOString());
    expect(rfc3339(0)).toBe("1970-01-01T00:00:00.000Z");
    expect(rfc3339(-1)).toBe("1969-12-31T23:59:59.000Z");
    expect(rfc3339(1.5)).toBe("1970-01-01T00:00:01.500Z");
  });

  test("outputs", () => {
    expect(epochMs("2024-05-01T10:30:00.250Z")).toBe(MAY_1 + 250);
    expect(epochS("2024-05-01T10:30:00.999Z")).toBe(MAY_1 / 1000);
    expect(epochS(1714559400)).toBe(1714559400);
    expect(epochMs(1714559400)).toBe(MAY_1);
    expect(epochS(-1.5)).toBe(-2); // floored, like the milliseconds
    expect(epochMs(1714559400000.7)).toBe(MAY_1);
    expect(rfc3339("Wed, 01 May 2024 10:30:00 GMT")).toBe("2024-05-01T10:30:00.000Z");
  });

  test("null stays null; everything else that is not a date fails", () => {
    for (const convert of [rfc3339, epochMs, epochS]) {
      expect(convert(null)).toBeNull();
      for (const bad of [true, "yesterday", {}, [], "2024-04-31", 1e17, -1e17, 9e15]) expect(convert(bad)).toBeInstanceOf(ConversionFailure);
    }
  });

  test("years outside 0000–9999 fail, the edges pass", () => {
    expect(rfc3339(253_402_300_799_999)).toBe("9999-12-31T23:59:59.999Z");
    expect(rfc3339(253_402_300_800_000)).toBeInstanceOf(ConversionFailure);
    expect(rfc3339("0000-01-01T00:00:00+01:00")).toBeInstanceOf(ConversionFailure);
  });
});

test("reads back what Date writes: toISOString exactly, toUTCString (IMF-fixdate) to the second", () => {
  const ms = fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 });
  fc.assert(
    fc.property(ms, (t) => {
      expect(parseDateText(new Date(t).toISOString())).toBe(t);
      if (t >= 0) expect(parseDateText(new Date(t).toUTCString())).toBe(Math.floor(t / 1000) * 1000);
    }),
    { numRuns: 2000 },
  );
});
