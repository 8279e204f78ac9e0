// Why a path was refused: returned, not thrown, so the request handler answers 400 without a catch.

export type PathRejectionReason =
  | "encoded-slash"
  | "backslash"
  | "nul"
  | "encoded-control"
  | "bad-percent-encoding"
  | "control-character"
  | "not-origin-form";

export class PathRejection {
  /** detail: one human sentence naming the offending part, e.g. 'invalid percent-encoding "%G1" at byte 5'. */
  constructor(
    readonly reason: PathRejectionReason,
    readonly detail: string,
  ) {}
}
