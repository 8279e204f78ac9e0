// A stop signal for reading a body that Keel buffers (JSON rules, error envelopes, aggregate
// calls): it fires at the request's deadline or when the client leaves, so a backend that stalls
// mid-body, or a client that goes away, never holds the request open. One timer, cleared by done().

export interface ReadStop {
  readonly signal: AbortSignal;
  /** Why it fired: the client left, or the deadline passed ("" while it has not fired). */
  why(): "" | "client" | "deadline";
  /** Clears the timer and the listener; call after the read, whatever its outcome. */
  done(): void;
}

export function readStop(req: Request, deadline: number): ReadStop {
  const ac = new AbortController();
  let why: "" | "client" | "deadline" = "";
  const onClient = () => {
    why ||= "client";
    ac.abort();
  };
  const client = req.signal;
  if (client.aborted) onClient();
  else client.addEventListener("abort", onClient, { once: true });
  const timer = setTimeout(() => {
    why ||= "deadline";
    ac.abort();
  }, Math.max(0, deadline - performance.now()));
  return {
    signal: ac.signal,
    why: () => why,
    done() {
      clearTimeout(timer);
      client.removeEventListener("abort", onClient);
    },
  };
}
