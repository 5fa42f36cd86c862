export { proxyDriver } from './driver.js';
export { PROXY_FAULTS, proxyAbort, proxyBandwidth, proxyLatency, proxyLimitData, proxyPartition, proxyReset, proxySlicer, proxySlowClose, proxyTimeout } from './faults/index.js';
export { parseProxyDriverConfig, type ProxyDriverConfig, type ProxyEntry } from './config.js';
export { callProxyApi, type ProxyConnection } from './client.js';
export type { ToxicFaultAttrs, ToxicFaultState } from './toxic-fault.js';
export { proxySignalsProbe } from './signals-probe.js';
