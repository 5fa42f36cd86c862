import type { FaultType, JsonObject } from '../faults/types.js';

/** Margin over a fault's own budget for the engine's bookkeeping around one call. */
export const BUDGET_MARGIN_MS = 5_000;

/**
 * How long one apply or revert of `state` may take: the run's call timeout, or more when the fault's
 * own settings need it (a stop's grace period, a command's timeout, a recovery window).
 */
export function callBudget(fault: FaultType<any, any, any>, state: JsonObject | undefined, callTimeoutMs: number): number {
  const own = state && fault.budgetMs ? fault.budgetMs(state) : 0;
  return Math.max(callTimeoutMs, own > 0 ? own + BUDGET_MARGIN_MS : 0);
}
