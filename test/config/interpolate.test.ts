import { test, expect } from "bun:test";
import { planOf, brief, at, UPSTREAMS } from "./helpers.ts";

// One route whose name carries the interpolated text, so each case is one line of YAML.
const withName = (name: string) => `${UPSTREAMS}routes:\n  - { name: ${name}, upstream: users }\n`;

test.each([
  ["${A}", { A: "alpha" }, "alpha"],
  ["pre-${A}-post", { A: "x" }, "pre-x-post"],
  ["r${A}${B}", { A: "1", B: "2" }, "r12"],
  ["${MISSING:-fallback}", {}, "fallback"],
  ["${A:-fallback}", { A: "set" }, "set"],
  ["x${EMPTY:-d}", { EMPTY: "" }, "xd"], // like the shell: :- also covers an empty value
  ['"${A}"', { A: "quoted" }, "quoted"],
  ["'${A} and ${B:-b}'", { A: "a" }, "a and b"],
  ["$${A}", { A: "no" }, "${A}"], // $${ is a literal ${
  ["$${A:-x} $${", {}, "${A:-x} ${"],
  ['"cost: $${A:-1}"', {}, "cost: ${A:-1}"],
  ["${A}", { A: "a: b, [c] # d" }, "a: b, [c] # d"], // a value never changes the structure
  ["${A:-with spaces}", {}, "with spaces"],
  ["plain $ dollar", {}, "plain $ dollar"],
] as const)("name %s with %p → %p", (written, env, name) => {
  expect(planOf(withName(written), env).routes[0]!.name).toBe(name);
});

test("an unquoted reference takes the type it would have had if written literally", () => {
  const plan = planOf(`listen: { port: \${PORT}, host: "\${HOST}" }\nrequestId: { trustIncoming: \${TRUST} }\n${withName("r")}`, {
    PORT: "8081",
    HOST: "10.0.0.1",
    TRUST: "true",
  });
  expect(plan.listen).toEqual({ port: 8081, host: "10.0.0.1" });
  expect(plan.requestId.trustIncoming).toBe(true);
});

test("a quoted reference stays a string, so the schema says so", () => {
  expect(brief(`listen: { port: "\${PORT}" }\n${withName("r")}`, { PORT: "8081" })).toEqual([
    '1:17 listen.port: expected a port number from 0 to 65535, got "8081"',
  ]);
});

test("an unset variable without default is an error at the reference's own line:col", () => {
  const text = `${withName("r")}listen:\n  port: 80\n  host: x-\${NOPE}\n`;
  expect(at(text, "${NOPE}")).toBe("8:11");
  expect(brief(text)).toEqual([
    '8:11 environment variable NOPE is not set (in "${NOPE}"); set it or give a default: ${NOPE:-value}',
  ]);
});

test("every unset variable is reported, in file order", () => {
  const text = `listen: { host: "\${B}", port: \${A} }\n${withName("${C}")}`;
  const errors = brief(text);
  expect(errors.map((e) => e.split(" ")[0] + " " + e.split(" ")[3])).toEqual([`${at(text, "${B}")} B`, `${at(text, "${A}")} A`, `${at(text, "${C}")} C`]);
});

test("references in comments are ignored", () => {
  expect(planOf(`# run with \${UNSET} and \${bad ref}\n${withName("r")}`).routes).toHaveLength(1);
});

test("later positions refer to the original text, not the substituted one", () => {
  const long = "x".repeat(50);
  // The substitution (longer than the reference) comes first on the same line and on earlier lines.
  const text = `${UPSTREAMS}routes:\n  - { name: "\${LONG}", upstream: users, match: { pathPrefx: /a } }\n  - { name: \${SHORT}, upstream: nope }\n`;
  expect([at(text, "pathPrefx"), at(text, "nope")]).toEqual(["5:50", "6:33"]);
  expect(brief(text, { LONG: long, SHORT: "s" })).toEqual([
    '5:50 unknown key "pathPrefx" in routes[0].match; expected one of: host, path, pathPrefix, methods, headers (did you mean "pathPrefix"?)',
    '6:33 routes[1].upstream: no upstream named "nope"; defined: users',
  ]);
});

test("a malformed reference is an error where it starts", () => {
  expect(brief(withName('"a ${not valid} b"'))).toEqual([
    '5:16 bad variable reference "${not valid}"; expected ${NAME} or ${NAME:-default} (write $${ for a literal ${)',
  ]);
  // Unquoted in a flow mapping it would be a YAML error instead, as "{" is YAML syntax there.
  const text = `${UPSTREAMS}routes:\n  - name: \${UNCLOSED\n    upstream: users\n`;
  expect(brief(text)[0]).toStartWith(`${at(text, "${")} bad variable reference "\${UNCLOSED"`);
});

test("references work inside flow mappings and sequences, where { } are YAML syntax", () => {
  const plan = planOf(`upstreams: { u: { endpoints: [\${EP}, "http://\${H}:9002"] } }\nroutes: [{ name: r, upstream: u }]\n`, {
    EP: "http://127.0.0.1:9001",
    H: "127.0.0.2",
  });
  expect(plan.upstreams.get("u")!.endpoints.map((e) => e.authority)).toEqual(["127.0.0.1:9001", "127.0.0.2:9002"]);
});

test("keys may be interpolated too", () => {
  const plan = planOf(`upstreams:\n  \${UP:-users}:\n    endpoints: ["http://127.0.0.1:9001"]\nroutes: [{ name: r, upstream: users }]\n`);
  expect([...plan.upstreams.keys()]).toEqual(["users"]);
});
