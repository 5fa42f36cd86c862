import type { AttributeDoc } from '../../../experiment/attributes.js';
import type Docker from 'dockerode';
import { FirebreakError } from '../../../errors.js';
import { readString, rejectUnknown } from '../../core/attrs.js';
import type { FaultType } from '../../../faults/types.js';
import type { DockerConnection } from '../client.js';
import { engineCall, statusOf } from '../client.js';
import { inspectContainer, requireContainer, short } from '../containers.js';
import { inspectForRevert, label, requireTarget, verifyContainer, type ContainerRef } from './common.js';

export interface PartitionAttrs {
  network: string;
}

export interface PartitionState extends ContainerRef {
  network: string;
  networkId: string;
  /** The endpoint as it was: reconnecting with these gives back the same DNS names and addresses. */
  aliases: string[];
  ipv4Address: string | null;
  ipv6Address: string | null;
  linkLocalIps: string[];
  links: string[];
  driverOpts: { [key: string]: string };
}

const ATTRS: readonly AttributeDoc[] = [
  { name: 'network', kind: 'string', required: true, summary: 'The Docker network the container is disconnected from (revert reconnects it with the same aliases and addresses).' },
];

/** Cuts the container off one network (disconnect); the rest of its networks keep working. */
export const dockerPartition: FaultType<PartitionAttrs, PartitionState, DockerConnection> = {
  type: 'docker.partition',
  driver: 'docker',
  summary: 'Disconnects the container from a network; revert reconnects it with the same aliases and addresses.',
  scope: 'target',
  attributes: ATTRS,
  example: { network: 'backend' },
  parse(attrs, issues) {
    const before = issues.count;
    rejectUnknown(attrs, ATTRS, issues);
    const network = readString(attrs, 'network', issues, true);
    return network && issues.count === before ? { network } : undefined;
  },
  describe(a, target) {
    return `disconnect ${label(target)} from network ${a.network}`;
  },
  async prepare(ctx, a, target) {
    const t = requireTarget(target, 'docker.partition');
    const info = await requireContainer(ctx, t.id);
    const found = findEndpoint(info, a.network);
    if (!found) {
      const names = Object.keys(info.NetworkSettings.Networks ?? {}).join(', ') || 'none';
      throw new FirebreakError('FIREBREAK_E_DOCKER', `container ${t.name} is not connected to network ${a.network} (its networks: ${names})`);
    }
    const [network, ep] = found;
    const shortId = info.Id.slice(0, 12);
    const ipam = ep.IPAMConfig ?? {};
    return {
      container: info.Id,
      name: t.name,
      network,
      networkId: ep.NetworkID ?? network,
      // The engine adds the short id itself on connect (older engines list it as an alias).
      aliases: (ep.Aliases ?? []).filter((x) => x !== shortId),
      ipv4Address: ipam.IPv4Address || null,
      ipv6Address: ipam.IPv6Address || null,
      linkLocalIps: ipam.LinkLocalIPs ?? [],
      links: ep.Links ?? [],
      driverOpts: ep.DriverOpts ?? {},
    };
  },
  async apply(ctx, s) {
    try {
      await engineCall(ctx, `disconnect ${short(s.container)} from ${s.network}`, (abortSignal) =>
        ctx.connection.docker.getNetwork(s.networkId).disconnect({ Container: s.container, Force: false, abortSignal }),
      );
    } catch (err) {
      // Already disconnected is what the fault wants; anything else is a failure.
      const info = await inspectContainer(ctx, s.container);
      if (info && !findEndpoint(info, s.networkId)) return;
      throw err;
    }
  },
  async revert(ctx, s) {
    const info = await inspectForRevert(ctx, s, 'nothing to reconnect');
    if (!info) return;
    if (findEndpoint(info, s.networkId) || findEndpoint(info, s.network)) return;
    const ipam: Docker.IPAMConfig = {};
    if (s.ipv4Address) ipam.IPv4Address = s.ipv4Address;
    if (s.ipv6Address) ipam.IPv6Address = s.ipv6Address;
    if (s.linkLocalIps.length) ipam.LinkLocalIPs = s.linkLocalIps;
    const endpoint: Docker.EndpointSettings = {
      ...(s.aliases.length ? { Aliases: s.aliases } : {}),
      ...(Object.keys(ipam).length ? { IPAMConfig: ipam } : {}),
      ...(s.links.length ? { Links: s.links } : {}),
      ...(Object.keys(s.driverOpts).length ? { DriverOpts: s.driverOpts } : {}),
    };
    try {
      await engineCall(ctx, `connect ${short(s.container)} to ${s.network}`, (abortSignal) =>
        ctx.connection.docker.getNetwork(s.networkId).connect({ Container: s.container, EndpointConfig: endpoint, abortSignal } as Docker.NetworkConnectOptions),
      );
    } catch (err) {
      // A concurrent revert (or someone else) reconnected it first: fine when it is connected now.
      const after = statusOf(err) === 403 || statusOf(err) === 409 ? await inspectContainer(ctx, s.container) : undefined;
      if (after && findEndpoint(after, s.networkId)) return;
      throw err;
    }
  },
  async verify(ctx, s) {
    return verifyContainer(ctx, s, (info) => {
      const found = findEndpoint(info, s.networkId) ?? findEndpoint(info, s.network);
      if (!found) return { ok: false, detail: `${s.name} is not connected to ${s.network}` };
      const ep = found[1];
      const missing = s.aliases.filter((a) => !(ep.Aliases ?? []).includes(a));
      if (missing.length) return { ok: false, detail: `${s.name} is on ${s.network} without aliases ${missing.join(', ')}` };
      if (s.ipv4Address && ep.IPAMConfig?.IPv4Address !== s.ipv4Address) {
        return { ok: false, detail: `${s.name} is on ${s.network} without its address ${s.ipv4Address}` };
      }
      return { ok: true, detail: `${s.name} is connected to ${s.network}` };
    });
  },
};

/** The container's endpoint on a network given by name or id (full or abbreviated). */
function findEndpoint(info: Docker.ContainerInspectInfo, network: string): [string, Docker.EndpointSettings] | undefined {
  const networks = Object.entries(info.NetworkSettings.Networks ?? {}) as [string, Docker.EndpointSettings][];
  return networks.find(([name]) => name === network) ?? networks.find(([, ep]) => !!ep.NetworkID && network.length >= 12 && ep.NetworkID.startsWith(network));
}
