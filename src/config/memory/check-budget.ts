// memoryBudget: the plan's worst-case table memory (estimateMemory) must fit, else a config error
// pointing at memoryBudget. The estimate needs the compiled plan, so this runs last, on a config
// that is otherwise valid (semantic.ts calls it only when it found nothing else).
import { compilePlan } from "../compile.ts";
import type { Issue } from "../config-error.ts";
import { estimateMemory, overBudget } from "../memory-budget.ts";
import type { RawConfig } from "../schema.ts";
import { validateSchema } from "../validate.ts";

export function checkMemoryBudget(config: Record<string, unknown>, source: string): Issue[] {
  if (typeof config.memoryBudget !== "string" || validateSchema(config).length > 0) return [];
  let plan;
  try {
    plan = compilePlan(config as unknown as RawConfig, source);
  } catch {
    return []; // load.ts compiles again and reports what went wrong there
  }
  if (plan.memoryBudgetBytes === null) return [];
  const message = overBudget(estimateMemory(plan), plan.memoryBudgetBytes, config.memoryBudget);
  return message === null ? [] : [{ path: ["memoryBudget"], message }];
}
