import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Ledger } from '../../src/engine/ledger.js';
import { PAUSE_IMAGE } from '../../src/drivers/kubernetes/faults/pod-failure.js';
import { BIN, ROOT, tempDir, waitFor } from '../helpers/cli.js';
import { eventually, requireKubectl, testPki, useKubeTestbed } from '../helpers/kube-api/index.js';

const cronJob = (): any => parseAllDocuments(readFileSync(join(ROOT, 'deploy', 'cronjob.yaml'), 'utf8')).map((d) => d.toJS()).find((d) => d?.kind === 'CronJob');

/** Whether this machine can make container-like pods: root, and unshare with pid, uts and mount namespaces. */
function unshareAvailable(): { ok: true } | { ok: false; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'not root: unshare --pid --uts --mount needs root' };
  try {
    execFileSync('unshare', ['--fork', '--pid', '--uts', '--mount', '--mount-proc', 'true'], { stdio: 'ignore', timeout: 10_000 });
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `unshare did not run: ${(err as Error).message.split('\n')[0]}` };
  }
}

interface Pod {
  name: string;
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  done: Promise<number | null>;
}

describe('the CronJob\'s commands in container-like pods (own hostname and pid 1, the ledger volume shared)', function () {
  this.timeout(120_000);
  const bed = useKubeTestbed({ namespaces: ['default', 'kube-system', 'firebreak', 'shop'] });
  let tmp: ReturnType<typeof tempDir>;
  let ledgerDir: string;
  let experimentsDir: string;
  let suiteDir: string;
  let token: string;

  before(function () {
    const u = unshareAvailable();
    if (!u.ok) {
      if (process.env.FIREBREAK_REQUIRE_UNSHARE === '1') throw new Error(`FIREBREAK_REQUIRE_UNSHARE=1 but ${u.reason}`);
      console.log(`      skipping the pod simulation: ${u.reason} (set FIREBREAK_REQUIRE_UNSHARE=1 to fail instead)`);
      this.skip();
    }
    requireKubectl(this);
    tmp = tempDir('fb-pods-');
    ledgerDir = join(tmp.dir, 'pvc');
    experimentsDir = join(tmp.dir, 'configmap');
    mkdirSync(ledgerDir);
    mkdirSync(experimentsDir);
    // The suite as the ConfigMap firebreak-suite holds it.
    suiteDir = join(tmp.dir, 'configmap-suite');
    mkdirSync(suiteDir);
    const suiteMap = parseAllDocuments(readFileSync(join(ROOT, 'deploy', 'experiments.yaml'), 'utf8')).map((d) => d.toJS()).find((d) => d?.kind === 'ConfigMap' && d.metadata.name === 'firebreak-suite');
    for (const [key, text] of Object.entries(suiteMap.data as Record<string, string>)) writeFileSync(join(suiteDir, key), text);
    const docs = readdirSync(join(ROOT, 'deploy')).filter((f) => /^(namespace|serviceaccount|rbac)\.yaml$/.test(f)).flatMap((f) => parseAllDocuments(readFileSync(join(ROOT, 'deploy', f), 'utf8')).map((d) => d.toJS()));
    bed.api.apply(...docs);
    token = bed.api.tokenFor('firebreak', 'firebreak');
  });
  const started: Pod[] = [];
  after(() => {
    // A failed test leaves no pod running: each pod's pid 1 (and with it its namespace) is killed.
    for (const pod of started) {
      if (pod.child.exitCode !== null || pod.child.signalCode !== null) continue;
      try {
        process.kill(pid1(pod), 'SIGKILL');
      } catch {
        pod.child.kill('SIGKILL');
      }
    }
    tmp?.cleanup();
  });

  /** Starts a "pod": the CronJob's init container command, then its main container command, as pid 1 under the pod's hostname. */
  function startPod(name: string): Pod {
    const cj = cronJob();
    const spec = cj.spec.jobTemplate.spec.template.spec;
    const [init] = spec.initContainers;
    const [main] = spec.containers;
    const env: Record<string, string> = {};
    for (const e of main.env as { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }[]) env[e.name] = e.value ?? (e.valueFrom?.fieldRef.fieldPath === 'metadata.namespace' ? cj.metadata.namespace : '');
    const mountOf = (vol: string): string => main.volumeMounts.find((m: { name: string }) => m.name === vol).mountPath;
    const sa = join(tmp.dir, `sa-${name}`);
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), token);
    writeFileSync(join(sa, 'ca.crt'), testPki().ca);
    writeFileSync(join(sa, 'namespace'), cj.metadata.namespace);
    const etc = join(tmp.dir, `etc-${name}`);
    mkdirSync(join(etc, 'up'), { recursive: true });
    mkdirSync(join(etc, 'work'), { recursive: true });
    const firebreak = (args: string[]): string => [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
    // What the kubelet and the runtime would set up: hostname, the service account, the volumes at the manifest's paths.
    const script = [
      'set -e',
      `hostname '${name}'`,
      'mount -t tmpfs tmpfs /run',
      'mkdir -p /run/secrets/kubernetes.io/serviceaccount',
      `cp '${sa}'/* /run/secrets/kubernetes.io/serviceaccount/`,
      `mount -t tmpfs tmpfs '${mountOf('ledger').split('/').slice(0, -1).join('/')}'`,
      `mkdir -p '${mountOf('ledger')}' && mount --bind '${ledgerDir}' '${mountOf('ledger')}'`,
      `mount -t overlay overlay -o lowerdir=/etc,upperdir='${etc}/up',workdir='${etc}/work' /etc`,
      `mkdir -p '${mountOf('experiments')}' && mount --bind '${experimentsDir}' '${mountOf('experiments')}'`,
      `mkdir -p '${mountOf('suite')}' && mount --bind '${suiteDir}' '${mountOf('suite')}'`,
      `cd '${tmp.dir}'`,
      'echo "pod pid=$$ host=$(hostname)"',
      `${firebreak(init.args)} || exit $?`,
      `exec ${firebreak(main.args)}`,
    ].join('\n');
    const url = new URL(bed.api.url);
    const child = spawn('unshare', ['--fork', '--pid', '--uts', '--mount', '--mount-proc', 'sh', '-c', script], {
      cwd: tmp.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp.dir, KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port, ...env, FIREBREAK_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    bed.api.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: cj.metadata.namespace, labels: { 'app.kubernetes.io/name': 'firebreak' } }, spec: { serviceAccountName: 'firebreak', containers: [{ name: 'gameday', image: main.image }] } });
    const pod = { name, child, out, done };
    started.push(pod);
    return pod;
  }

  /** The host pid of the pod's pid 1 (the child of unshare). */
  function pid1(pod: Pod): number {
    const children = readFileSync(`/proc/${pod.child.pid}/task/${pod.child.pid}/children`, 'utf8').trim();
    return Number(children.split(/\s+/)[0]);
  }

  async function within<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms`)), ms)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  it('a pod killed mid-fault leaves its ledger on the volume; the next pod\'s recover takes the lock over once the cluster says the pod is gone, reverts, and the game day runs', async () => {
    await bed.deployment('cart', { replicas: 3 });
    const gameday = (during: string) => [
      'title: Game day',
      'target: { kubernetes: { namespaces: [shop] } }',
      'cohort:',
      '  targets: { driver: kubernetes, selector: { namespaces: [shop], owner: deployment/cart }, mode: fixed, value: 2, seed: gameday }',
      `phases: { before: 200ms, during: ${during}, after: 200ms, tick: 100ms }`,
      'faults:',
      '  - { type: kubernetes.partition }',
      '  - { type: kubernetes.pod-failure, recoveryTimeout: 10s }',
      '  - { type: kubernetes.scale, workload: deployment/cart, namespace: shop, replicas: 5 }',
      '',
    ].join('\n');
    writeFileSync(join(experimentsDir, 'gameday.yaml'), gameday('60s'));
    const ledger = join(ledgerDir, 'ledger.jsonl');

    const first = startPod('gameday-28900000-a1b2c');
    await waitFor('five faults applied by the first pod', () => Ledger.readEntries(ledger).filter((e) => e.event === 'applied').length === 5, 60_000);
    assert.match(first.out.stdout, /^pod pid=1 host=gameday-28900000-a1b2c$/m);
    assert.deepEqual((({ pid, host }) => ({ pid, host }))(JSON.parse(readFileSync(`${ledger}.lock`, 'utf8'))), { pid: 1, host: 'gameday-28900000-a1b2c' }, 'the lock names pid 1 of the pod');
    process.kill(pid1(first), 'SIGKILL');
    await within('the killed pod', first.done, 10_000);
    assert.equal((await bed.kubectl(['get', 'networkpolicies', '-n', 'shop', '-o', 'name'])).stdout.trim().split('\n').length, 2);
    assert.equal((await bed.kubectl(['get', 'deployment', 'cart', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}'])).stdout, '5');

    // The next pod while the cluster still reports the first as running: the lock is not taken.
    const early = startPod('gameday-28900000-d3e4f');
    const earlyCode = await within('the early pod', early.done, 30_000);
    assert.equal(earlyCode, 4, early.out.stdout + early.out.stderr);
    assert.match(early.out.stdout + early.out.stderr, /FIREBREAK_E_LEDGER_LOCKED|in use by process 1 on gameday-28900000-a1b2c/);

    // The kubelet reports the killed pod Failed (restartPolicy: Never); the next game day takes over.
    const failed = bed.api.store.get('', 'pods', 'firebreak', 'gameday-28900000-a1b2c')!;
    bed.api.store.update('', 'pods', { ...failed, status: { ...failed.status, phase: 'Failed' } });
    writeFileSync(join(experimentsDir, 'gameday.yaml'), gameday('1s'));
    const next = startPod('gameday-28910080-g5h6j');
    const code = await within('the next pod', next.done, 60_000);
    assert.equal(code, 0, next.out.stdout + next.out.stderr);
    assert.match(next.out.stdout, /^pod pid=1 host=gameday-28910080-g5h6j$/m);
    assert.match(next.out.stdout, /5 of 5 fault\(s\) reverted/);
    assert.match(next.out.stdout, /sweep: nothing left behind/);
    assert.match(next.out.stdout, /held/i);
    assert.match(next.out.stdout, /weekly game day/, 'the game day ran as the suite');
    assert.match(next.out.stdout, /1\/1 held/, 'the suite scored its one experiment');
    assert.equal((await bed.kubectl(['get', 'networkpolicies', '-n', 'shop', '-o', 'name'])).stdout.trim(), '');
    assert.equal((await bed.kubectl(['get', 'deployment', 'cart', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}'])).stdout, '3');
    await eventually('the pods run their images again', () => bed.pods('shop', { app: 'cart' }).every((p) => p.spec.containers[0].image !== PAUSE_IMAGE));
    const journals = readdirSync(join(ledgerDir, 'journals'));
    assert.equal(journals.length, 1, 'the finished game day wrote its journal to the volume');
  });
});
