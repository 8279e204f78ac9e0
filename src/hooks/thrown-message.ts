// What a user's throw says, in one line: the message's first line, never the stack (details
// reach logs and problem responses), bounded so a huge message cannot bloat either.

const MAX = 300;

export function thrownMessage(e: unknown): string {
  try {
    return bounded(describeThrown(e));
  } catch {
    // A throwing `message` getter or toString: user code again.
    return "a value that cannot be converted to a string";
  }
}

function describeThrown(e: unknown): string {
  let text: string;
  const message = typeof e === "object" && e !== null ? (e as { message?: unknown }).message : undefined;
  if (typeof message === "string" && message !== "") text = message;
  else if (e instanceof Error) text = e.name;
  else text = String(e);
  return text;
}

function bounded(message: string): string {
  const nl = message.indexOf("\n");
  const text = nl === -1 ? message : message.slice(0, nl);
  return text.length > MAX ? text.slice(0, MAX) + "…" : text;
}
