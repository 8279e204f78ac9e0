// The types a Keel user imports: the hooks contract. Types only, so importing costs nothing at run time.
export type { HookHeaders, HookModule, HookReply, HookRequest, HookResponse, OnRequest, OnResponse } from "./hooks/types.ts";
