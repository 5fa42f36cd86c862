import { proxyAbort } from './abort.js';
import { proxyBandwidth } from './bandwidth.js';
import { proxyLatency } from './latency.js';
import { proxyLimitData } from './limit-data.js';
import { proxyPartition } from './partition.js';
import { proxyReset } from './reset.js';
import { proxySlicer } from './slicer.js';
import { proxySlowClose } from './slow-close.js';
import { proxyTimeout } from './timeout.js';
import type { FaultType } from '../../../faults/types.js';
import type { ProxyConnection } from '../client.js';

/** The proxy driver's faults, one file each. */
export const PROXY_FAULTS: FaultType<any, any, ProxyConnection>[] = [proxyLatency, proxyBandwidth, proxyTimeout, proxyReset, proxySlicer, proxyLimitData, proxySlowClose, proxyPartition, proxyAbort];

export { proxyAbort, proxyBandwidth, proxyLatency, proxyLimitData, proxyPartition, proxyReset, proxySlicer, proxySlowClose, proxyTimeout };
