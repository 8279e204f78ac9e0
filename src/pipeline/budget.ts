// The route's latency budget as the upstream sees it: the milliseconds left when the request is
// sent, in one header, so a backend can give up on work its caller will not wait for.
// Documented in docs/limits.md ("Latency budget").
export const BUDGET_HEADER = "x-keel-budget-ms";
