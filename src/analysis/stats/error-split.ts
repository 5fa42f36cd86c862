import { binomialUpperTail } from './binomial-distribution.js';
import { clopperPearson } from './binomial.js';
import { checkCount, checkProbability } from './validate.js';

export interface ErrorSplitInput {
  canaryErrors: number;
  controlErrors: number;
  /** Requests (or another exposure unit) each cohort served; only their ratio matters. */
  canaryTraffic: number;
  controlTraffic: number;
  /** For the rate-ratio interval. Default 0.95. */
  confidence?: number;
}

export interface ErrorSplitResult {
  /** One-sided: the probability, if both cohorts had the same error rate, of canary's share of the errors being this large or larger. */
  pValue: number;
  /** canaryTraffic / (canaryTraffic + controlTraffic): canary's share of errors under the null. */
  expectedShare: number;
  /** canaryErrors / totalErrors (NaN without errors). */
  observedShare: number;
  /** Canary's error rate over control's (Infinity when control had none, NaN when neither had any). */
  rateRatio: number;
  /** Exact conditional interval for the rate ratio (Clopper-Pearson on the share, transformed). */
  lower: number;
  upper: number;
  confidence: number;
  canaryErrors: number;
  totalErrors: number;
}

/**
 * Compares error rates as a split: given the total number of errors, under the null each error lands
 * in the canary with probability equal to canary's traffic share, so canary's count is
 * Binomial(total, share) (exact for Poisson errors, conservative for binomial ones).
 */
export function errorSplitTest(input: ErrorSplitInput): ErrorSplitResult {
  const { canaryErrors, controlErrors, canaryTraffic, controlTraffic } = input;
  const confidence = input.confidence ?? 0.95;
  checkCount('canaryErrors', canaryErrors);
  checkCount('controlErrors', controlErrors);
  if (!(canaryTraffic > 0) || !Number.isFinite(canaryTraffic)) throw new RangeError(`canaryTraffic must be positive, got ${canaryTraffic}`);
  if (!(controlTraffic > 0) || !Number.isFinite(controlTraffic)) throw new RangeError(`controlTraffic must be positive, got ${controlTraffic}`);
  checkProbability('confidence', confidence, { open: true });
  const share = canaryTraffic / (canaryTraffic + controlTraffic);
  const total = canaryErrors + controlErrors;
  const base = { expectedShare: share, confidence, canaryErrors, totalErrors: total };
  if (total === 0) return { ...base, pValue: 1, observedShare: NaN, rateRatio: NaN, lower: 0, upper: Infinity };
  const pValue = binomialUpperTail(canaryErrors, total, share);
  const interval = clopperPearson(canaryErrors, total, confidence);
  const toRatio = (pi: number): number => (pi >= 1 ? Infinity : (pi / (1 - pi)) * ((1 - share) / share));
  return {
    ...base,
    pValue,
    observedShare: canaryErrors / total,
    rateRatio: toRatio(canaryErrors / total),
    lower: toRatio(interval.lower),
    upper: toRatio(interval.upper),
  };
}
