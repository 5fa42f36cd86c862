import { describeError } from '../errors.js';
import { binomialTest } from '../analysis/stats/index.js';
import { withTimeout } from '../util/abort.js';
import type { JsonObject } from '../faults/types.js';
import type { Instance, RunContext } from './context.js';
import type { Evidence, FaultRecord } from './journal.js';
import { faultContextOf } from './revert.js';

type Counts = Partial<Record<'canary' | 'control' | 'untouched', number>>;

/** Fewer requests than this at a fault's point cannot show whether its cohort shares are off. */
const MIN_REQUESTS_FOR_SHARES = 50;

const readings = new WeakMap<Instance, { start?: Counts; end?: Counts; error?: string }>();

/** Reads a fault's reach counters right after it was applied (faults that cannot tell are skipped). */
export async function markReachStart(ctx: RunContext, inst: Instance): Promise<void> {
  const start = await readReach(ctx, inst);
  if (start) readings.set(inst, { start });
}

/** Reads them again just before it is reverted, and files what it reached in the journal's fault record. */
export async function markReachEnd(ctx: RunContext, inst: Instance): Promise<void> {
  const r = readings.get(inst);
  if (!r?.start || r.end || !inst.applied || inst.reverted) return;
  const end = await readReach(ctx, inst, r);
  if (!end) return;
  r.end = end;
  const reach: Counts = {};
  for (const c of ['canary', 'control', 'untouched'] as const) reach[c] = Math.max(0, (end[c] ?? 0) - (r.start[c] ?? 0));
  const rec = ctx.journal.faults.find((f) => f.id === inst.id);
  if (rec) rec.reach = reach as FaultRecord['reach'];
}

async function readReach(ctx: RunContext, inst: Instance, r?: { error?: string }): Promise<Counts | undefined> {
  const fault = ctx.registry.fault(inst.spec.type);
  const handle = ctx.drivers.get(inst.spec.driver);
  if (!fault?.reach || !handle || !inst.state) return undefined;
  const state = inst.state;
  try {
    return await withTimeout(`reading what ${inst.spec.type} reached`, ctx.experiment.phases.callTimeout, (signal) =>
      fault.reach!(faultContextOf({ runId: ctx.runId, id: inst.id, logger: ctx.logger, connection: handle.connection, baseDir: ctx.experiment.baseDir }, signal, ctx.experiment.phases.callTimeout), state as JsonObject),
    );
  } catch (err) {
    const message = describeError(err).message;
    if (r) r.error = message;
    ctx.logger.warn({ instance: inst.id, err: message }, 'could not read what the fault reached');
    return undefined;
  }
}

/**
 * Evidence that each cohort-scoped fault reached the users the checks watch: its point (a proxy in
 * cohort mode) counted requests of its cohort while it was live, in about the declared share. A fault
 * that reached nobody, or a cohort split far from the declared one (a sticky key not passed on, or
 * rewritten), tested nothing: inconclusive, never a silent pass.
 */
export function reachEvidence(ctx: RunContext): Evidence[] {
  const traffic = ctx.experiment.cohort.traffic;
  const out: Evidence[] = [];
  for (const inst of ctx.order) {
    const reach = ctx.journal.faults.find((f) => f.id === inst.id)?.reach;
    if (!reach) continue;
    const aimed = ((inst.state?.attributes as JsonObject | undefined)?.cohort as string | undefined) ?? 'canary';
    const where = String(inst.state?.proxy ?? inst.target?.name ?? inst.spec.type);
    const total = (reach.canary ?? 0) + (reach.control ?? 0) + (reach.untouched ?? 0);
    const base = { check: `${inst.description} reached its cohort`, kind: 'reach', phase: 'during' as const, probe: where, cohort: aimed, samples: { ...reach, total } };
    const seen = `${where} saw ${total} request(s) while the fault was live: canary ${reach.canary ?? 0}, control ${reach.control ?? 0}, untouched ${reach.untouched ?? 0}`;
    if (total === 0) {
      out.push({ ...base, outcome: 'inconclusive', expected: `requests of the ${aimed} cohort through ${where}`, observed: seen, reason: `the fault reached nobody: ${where} saw no request while it was live, so the checks measured a system the fault never touched` });
      continue;
    }
    if (aimed === 'all') {
      out.push({ ...base, outcome: 'pass', expected: `requests through ${where}`, observed: seen });
      continue;
    }
    const hit = reach[aimed as 'canary' | 'control'] ?? 0;
    const declared = traffic ? (aimed === 'canary' ? traffic.canary : traffic.control) : undefined;
    const expected = `requests of the ${aimed} cohort through ${where}${declared !== undefined ? `, about ${pct(declared)} of them` : ''}`;
    if (hit === 0) {
      out.push({
        ...base, outcome: 'inconclusive', expected, observed: seen,
        reason: `the fault reached no ${aimed} request: ${where} sorted every request it saw into other cohorts. Does the application pass the sticky key (${traffic?.key ?? 'the cohort key'}) on to this dependency? The checks compared cohorts the fault never split`,
      });
      continue;
    }
    if (declared !== undefined && declared > 0 && total >= MIN_REQUESTS_FOR_SHARES) {
      const share = hit / total;
      const p = binomialTest(hit, total, declared, 'two-sided').pValue;
      if (p < 0.001 && (share < declared / 2 || share > declared * 2)) {
        out.push({
          ...base, outcome: 'inconclusive', expected, observed: seen, pValue: p,
          reason: `${where} put ${pct(share)} of its requests in the ${aimed} cohort where cohort.traffic declares ${pct(declared)}: the sticky key does not reach it as the load generator sends it, so its cohorts are not the ones the checks compare`,
        });
        continue;
      }
    }
    out.push({ ...base, outcome: 'pass', expected, observed: seen });
  }
  return out;
}

function pct(v: number): string {
  return `${Math.round(v * 1000) / 10}%`;
}
