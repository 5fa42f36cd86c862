export { prometheusProbe, parsePrometheusQueryAttrs, toQueryValue, type PrometheusQueryAttrs, type PrometheusQueryValue } from './query-probe.js';
export {
  prometheusSignalsProbe,
  PrometheusSignalsSource,
  parsePrometheusSignalsAttrs,
  windowText,
  withWindow,
  type PrometheusSignalsAttrs,
  type CohortQueries,
} from './signals-probe.js';
export { queryInstant, queryRange, sampleValue, type PromEndpoint, type PromData, type PromLabels } from './client.js';
export { parseTimeSpec, resolveTime, type TimeSpec } from './attrs.js';
