// Field paths of the JSON rules: "user.email", "items[].created_at", "[].id", "matrix[][]".
// Read once at config load into steps, so walking a body compares steps and never re-reads text.

/** One step of a path: an object key, or EACH ("[]" = every element of an array). */
export type PathStep = string | null;
export const EACH = null;

export type PathParse = { readonly ok: true; readonly steps: readonly PathStep[] } | { readonly ok: false; readonly message: string };

/**
 * Grammar: segment ("." segment)*, segment = name ("[]")*. A name is any non-empty text without
 * ".", "[" or "]" (so such keys cannot be named). Only the first segment may omit its name, and
 * then needs at least one "[]" ("[].id" = field id of each element of a top-level array).
 */
export function parsePath(text: string): PathParse {
  if (text === "") return fail(text, "the path is empty");
  const steps: PathStep[] = [];
  const segments = text.split(".");
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s]!;
    const open = seg.indexOf("[");
    const name = open === -1 ? seg : seg.slice(0, open);
    if (name.includes("]")) return fail(text, `"]" without "[" in "${seg}"`);
    if (name === "") {
      if (seg === "") return fail(text, s === 0 || s === segments.length - 1 ? "it starts or ends with a dot" : "two dots in a row (an empty name)");
      if (s > 0) return fail(text, `"[]" must follow a name: write "${segments[s - 1]}${seg}", not "${segments[s - 1]}.${seg}"`);
    } else steps.push(name);
    for (let i = name.length; i < seg.length; i += 2) {
      if (seg[i] !== "[") return fail(text, `text after "[]" in "${seg}" must start a new segment with "."`);
      if (seg[i + 1] !== "]") return fail(text, `"[" must be followed by "]" in "${seg}"`);
      steps.push(EACH);
    }
  }
  return { ok: true, steps };
}

/** The canonical text of steps (the inverse of parsePath for paths it accepts). */
export function formatPath(steps: readonly PathStep[]): string {
  let out = "";
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (step === EACH) out += "[]";
    else out += i === 0 ? step : "." + step;
  }
  return out;
}

/** True when `prefix` is `steps` or one of its ancestors. */
export function isPathPrefix(prefix: readonly PathStep[], steps: readonly PathStep[]): boolean {
  if (prefix.length > steps.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== steps[i]) return false;
  return true;
}

function fail(text: string, why: string): PathParse {
  return { ok: false, message: `bad path "${text}": ${why}` };
}
