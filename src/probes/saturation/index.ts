export {
  hostSaturationProbe,
  hostSaturationSampleProbe,
  HostSaturationSource,
  parseHostSaturationAttrs,
  parseHostSampleAttrs,
  type HostSaturationAttrs,
  type HostSampleAttrs,
} from './host-probe.js';
export { HostMeter, HOST_RESOURCES, type HostResource, type HostSample } from './host-meter.js';
