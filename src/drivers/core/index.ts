import type { Driver } from '../types.js';
import { processFault } from './process-fault.js';
import { processProbe } from './process-probe.js';
import { httpProbe } from './http-probe.js';
import { loadProbe } from '../../probes/load/index.js';
import { prometheusProbe, prometheusSignalsProbe } from '../../probes/prometheus/index.js';
import { hostSaturationProbe, hostSaturationSampleProbe } from '../../probes/saturation/index.js';

/** Faults and probes that need no external system: commands, HTTP requests, load, host saturation. */
export const coreDriver: Driver<Record<string, never>, null> = {
  name: 'core',
  summary: 'Commands, HTTP requests, load generation, Prometheus and host saturation.',
  faults: [processFault],
  probes: [processProbe, httpProbe, loadProbe, prometheusProbe, prometheusSignalsProbe, hostSaturationProbe, hostSaturationSampleProbe],
  parseConfig() {
    return {};
  },
  async connect() {
    return null;
  },
};

export { processFault, processProbe, httpProbe };
