import type { Driver } from '../types.js';
import { processFault } from './process-fault.js';
import { processProbe } from './process-probe.js';
import { httpProbe } from './http-probe.js';

/** Faults and probes that need no external system: commands, HTTP requests, load, host saturation. */
export const coreDriver: Driver<Record<string, never>, null> = {
  name: 'core',
  summary: 'Commands, HTTP requests, load generation, Prometheus and host saturation.',
  faults: [processFault],
  probes: [processProbe, httpProbe],
  parseConfig() {
    return {};
  },
  async connect() {
    return null;
  },
};

export { processFault, processProbe, httpProbe };
