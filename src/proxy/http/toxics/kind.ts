import type { ToxicView } from '../types.js';
import type { RequestPlan } from './plan.js';

/** One toxic of HTTP cohort mode, registered under its `http_*` name and the Toxiproxy name it maps. */
export interface HttpToxicKind {
  /** Type names this toxic answers to: its `http_*` name first, then any standard Toxiproxy type. */
  types: readonly string[];
  /** Attribute names besides `cohort`; unknown names are refused for `http_*` types only. */
  known: readonly string[];
  /** Checks the attributes; returns an error message or undefined. */
  validate(attrs: Record<string, unknown>): string | undefined;
  /** Adds this toxic's effect to the plan of one request it hit. */
  contribute(plan: RequestPlan, toxic: ToxicView, random: () => number): void;
}
