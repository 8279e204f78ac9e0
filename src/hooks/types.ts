// The contract between Keel and a route's hooks module. Users import these types (examples/hooks
// shows how); everything here is types only, so importing it costs nothing at run time.

/** A small header view over Keel's flat header array [name, value, ...] (names lower-case). */
export interface HookHeaders {
  /** All values of the field joined with ", ", or null when absent. Case-insensitive. */
  get(name: string): string | null;
  /** Replaces every value of the field with this one. Throws a TypeError on an invalid name or a value with CR, LF or NUL. */
  set(name: string, value: string): void;
  /** Adds one more value for the field. Throws a TypeError on an invalid name or a value with CR, LF or NUL. */
  append(name: string, value: string): void;
  /** Removes every value of the field. */
  delete(name: string): void;
  has(name: string): boolean;
  /** [name, value] pairs in wire order, names lower-case; a repeated field yields one pair per value. */
  entries(): IterableIterator<[string, string]>;
}

/** The request as the upstream will see it. Changes a hook makes here are what gets forwarded. */
export interface HookRequest {
  readonly method: string;
  /** The normalised path; a hook may change it (it is what is forwarded). */
  path: string;
  /** "" or "?a=1". */
  query: string;
  /** The headers that will be forwarded (mutable). */
  readonly headers: HookHeaders;
  /** The parsed JSON body when the route parses request bodies, else undefined (read-only then). */
  body: unknown;
  /** The route's name. */
  readonly route: string;
  /** Values captured by ":name" segments of the route path. */
  readonly params: Readonly<Record<string, string>>;
  readonly clientIp: string;
  readonly requestId: string;
}

/** The upstream's answer before Keel sends it to the client. */
export interface HookResponse {
  status: number;
  readonly headers: HookHeaders;
  /** Parsed JSON when the response is JSON and the route buffers it, else undefined. */
  body: unknown;
}

/** Return a reply to answer the client without calling the upstream (e.g. an auth check). */
export interface HookReply {
  /** An integer from 200 to 599. */
  status: number;
  headers?: Record<string, string>;
  /** JSON-serialised. */
  body?: unknown;
}

/** Runs before the upstream call. Return nothing to forward the (possibly changed) request, or a reply to answer instead. */
export type OnRequest = (req: HookRequest) => void | HookReply | Promise<void | HookReply>;

/** Runs after the upstream answered; change `res` in place. */
export type OnResponse = (res: HookResponse, req: HookRequest) => void | Promise<void>;

/** What a hooks module exports: at least one of the two. */
export interface HookModule {
  onRequest?: OnRequest;
  onResponse?: OnResponse;
}
