// Why a query was refused: returned, not thrown, so the request handler answers 400 without a catch.

export type QueryRejectionReason = "repeated-parameter" | "bad-percent-encoding";

export class QueryRejection {
  /** detail: one human sentence naming the offending part, e.g. 'parameter "id" appears more than once'. */
  constructor(
    readonly reason: QueryRejectionReason,
    readonly detail: string,
  ) {}
}
