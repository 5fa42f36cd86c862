export { mannWhitney, AUTO_EXACT_MAX_PAIRS, type MannWhitneyOptions, type MannWhitneyResult, type MwuMethod } from './mann-whitney.js';
export { hodgesLehmann, hodgesLehmannRatio, type HodgesLehmannOptions, type HodgesLehmannResult } from './hodges-lehmann.js';
export { binomialTest, wilsonInterval, clopperPearson, type BinomialTestResult, type ProportionInterval } from './binomial.js';
export { binomialPmf, binomialCdf, binomialUpperTail } from './binomial-distribution.js';
export { errorSplitTest, type ErrorSplitInput, type ErrorSplitResult } from './error-split.js';
export { holm, bonferroni } from './multiple-testing.js';
export {
  compareCohorts,
  type CompareCohortsInput,
  type CompareCohortsResult,
  type CohortDecision,
  type Direction,
} from './compare-cohorts.js';
export {
  createSequentialSplitTest,
  DEFAULT_RATE_RATIOS,
  type SequentialSplitOptions,
  type SequentialSplitTest,
  type SequentialLook,
  type SplitCounts,
} from './sequential-split.js';
export {
  createSequentialErrorTest,
  createSequentialLatencyTest,
  type SequentialErrorTest,
  type SequentialErrorTestOptions,
  type SequentialLatencyTest,
  type SequentialLatencyTestOptions,
} from './sequential-tests.js';
export { compareCohortsShift, type CompareShiftInput, type CompareShiftResult } from './compare-cohorts-shift.js';
export { errorRateMargin, type ErrorRateMarginInput, type ErrorRateMarginResult } from './error-margin.js';
export { quantileRankBounds, type QuantileRankBounds } from './quantile-bounds.js';
export { mwuCdf, mwuSf, mwuQuantile } from './mwu-distribution.js';
export { medianPairwiseDifference, pairwiseDifferenceOrderStatistics } from './pairwise-differences.js';
export { rankWithTies, type Ranked } from './ranks.js';
export { normalCdf, normalSf, normalQuantile, logGamma } from './special.js';
export { mulberry32, createRandom, type Random } from './random.js';
export type { Alternative } from './validate.js';
