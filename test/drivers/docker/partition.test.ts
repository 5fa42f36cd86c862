import { strict as assert } from 'node:assert';
import { dockerDriver } from '../../../src/drivers/docker/driver.js';
import { dockerPartition } from '../../../src/drivers/docker/faults/partition.js';
import { isFirebreakError } from '../../../src/errors.js';
import { callContext, httpdScript, throughJson, useDockerTestbed, waitUntil } from '../../helpers/docker.js';

/** An address inside `subnet` (a.b.c.d/n), `offset` hosts above the network address. */
function addressIn(subnet: string, offset: number): string {
  const [base] = subnet.split('/');
  const n = base!.split('.').reduce((acc, part) => acc * 256 + Number(part), 0) + offset;
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

describe('docker.partition against a real engine', function () {
  this.timeout(40_000);
  const bed = useDockerTestbed();
  let net: { id: string; name: string; subnet?: string };
  let server: { id: string; name: string };
  let client: { id: string; name: string };
  let serverIp: string;

  /** Whether the client container gets an HTTP 200 from `web:8080` over the internal network. */
  async function clientReachesWeb(): Promise<boolean> {
    const r = await bed.exec(client.id, ['sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 web 8080']);
    return r.exitCode === 0 && /HTTP\/1\.[01] 200/.test(r.output);
  }

  before(async () => {
    net = await bed.network('part', true);
    serverIp = addressIn(net.subnet!, 10);
    server = await bed.run({ name: 'part-web', cmd: ['sh', '-c', httpdScript('8080')], network: net.name, aliases: ['web', 'www'], ipv4Address: serverIp });
    client = await bed.run({ name: 'part-client', cmd: ['sleep', '600'], network: net.name });
    await waitUntil(clientReachesWeb, 10_000, 'the client to reach web:8080');
  });

  it('cuts the container off the network, and a fresh connection reconnects it with its aliases and address', async () => {
    const ctx = bed.faultContext();
    const state = await dockerPartition.prepare(ctx, { network: net.name }, await bed.target(server.id));
    assert.deepEqual([...state.aliases].sort(), ['web', 'www']);
    assert.equal(state.ipv4Address, serverIp);
    assert.equal(state.networkId, net.id);

    await dockerPartition.apply(ctx, state);
    assert.equal(Object.keys((await bed.inspect(server.id)).NetworkSettings.Networks).includes(net.name), false);
    assert.equal(await clientReachesWeb(), false);
    const during = await dockerPartition.verify!(ctx, state);
    assert.equal(during.ok, false);

    const fresh = await dockerDriver.connect(bed.config, callContext());
    const freshCtx = bed.faultContext(fresh);
    await dockerPartition.revert(freshCtx, throughJson(state));
    const ep = (await bed.inspect(server.id)).NetworkSettings.Networks[net.name]!;
    assert.ok(ep.Aliases?.includes('web') && ep.Aliases.includes('www'), `aliases ${ep.Aliases}`);
    assert.equal(ep.IPAMConfig?.IPv4Address, serverIp);
    assert.equal(ep.IPAddress, serverIp);
    await waitUntil(clientReachesWeb, 10_000, 'the client to reach web:8080 again');
    assert.deepEqual((await dockerPartition.verify!(freshCtx, throughJson(state))).ok, true);

    // Idempotent: connected already, nothing to do.
    await dockerPartition.revert(freshCtx, throughJson(state));
    assert.equal(await clientReachesWeb(), true);
    fresh.close();
  });

  it('reverts cleanly when apply never ran', async () => {
    const ctx = bed.faultContext();
    const state = await dockerPartition.prepare(ctx, { network: net.name }, await bed.target(client.id));
    await dockerPartition.revert(ctx, state);
    assert.equal((await dockerPartition.verify!(ctx, state)).ok, true);
  });

  it('refuses at prepare a network the container is not on, naming the networks it is on', async () => {
    const ctx = bed.faultContext();
    await assert.rejects(dockerPartition.prepare(ctx, { network: 'no-such-network' }, await bed.target(server.id)), (err: unknown) => {
      assert.ok(isFirebreakError(err, 'FIREBREAK_E_DOCKER'));
      assert.match(err.message, /not connected to network no-such-network/);
      assert.ok(err.message.includes(net.name));
      return true;
    });
  });
});
