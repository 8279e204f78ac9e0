// A strict reader for Prometheus text format 0.0.4, used to check what prometheus.ts writes.
// It throws on anything the format does not allow, so a test that parses has checked the syntax.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = '([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"';
const VALUE = "(-?[0-9]+(?:\\.[0-9]+)?(?:e[+-]?[0-9]+)?|NaN|[+-]Inf)";
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL},)*(?:${LABEL})?)\\})? ${VALUE}$`);
const LABEL_GLOBAL = new RegExp(LABEL, "g");
const HELP_LINE = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

function unescape(value: string): string {
  return value.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
}

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text); // "NaN" → NaN
}

/** The family a sample belongs to: histogram samples carry _bucket/_sum/_count suffixes. */
function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sampleName);
  if (direct !== undefined) return direct;
  const m = /^(.*)_(bucket|sum|count)$/.exec(sampleName);
  const base = m ? families.get(m[1]!) : undefined;
  return base && (base.type === "histogram" || base.type === "summary") ? base : undefined;
}

export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  const closed = new Set<string>();
  let current: Family | undefined;
  const lines = text.slice(0, -1).split("\n");
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    const help = HELP_LINE.exec(line);
    if (help) {
      if (helps.has(help[1]!)) throw new Error(`second HELP for ${help[1]} at ${where}`);
      helps.set(help[1]!, help[2]!);
      continue;
    }
    const type = TYPE_LINE.exec(line);
    if (type) {
      const name = type[1]!;
      if (families.has(name)) throw new Error(`second TYPE for ${name} at ${where}`);
      if (current) closed.add(current.name);
      current = { name, type: type[2]!, help: helps.get(name) ?? "", samples: [] };
      families.set(name, current);
      continue;
    }
    if (line.startsWith("#")) throw new Error(`unexpected comment at ${where}`);
    const m = SAMPLE_LINE.exec(line);
    if (!m) throw new Error(`not a sample line at ${where}`);
    const name = m[1]!;
    const family = familyOf(name, families);
    if (family === undefined) throw new Error(`sample before its TYPE at ${where}`);
    if (family !== current || closed.has(family.name)) throw new Error(`family ${family.name} not contiguous at ${where}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? "").matchAll(LABEL_GLOBAL)) {
      if (lm[1]! in labels) throw new Error(`duplicate label ${lm[1]} at ${where}`);
      labels[lm[1]!] = unescape(lm[2]!);
    }
    family.samples.push({ name, labels, value: parseValue(m[m.length - 1]!) });
  }
  for (const name of helps.keys()) if (!families.has(name)) throw new Error(`HELP without TYPE for ${name}`);
  for (const family of families.values()) if (!helps.has(family.name)) throw new Error(`TYPE without HELP for ${family.name}`);
  return families;
}

export function samplesOf(families: Map<string, Family>, familyName: string): Sample[] {
  const family = families.get(familyName);
  if (family === undefined) throw new Error(`no family ${familyName}`);
  return family.samples;
}
