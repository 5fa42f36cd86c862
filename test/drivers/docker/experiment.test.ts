import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadExperimentFile } from '../../../src/experiment/loader.js';
import { runExperiment } from '../../../src/engine/run.js';
import { Ledger, openFaultsOf } from '../../../src/engine/ledger.js';
import { formatIssue } from '../../../src/experiment/issues.js';
import { ROOT, runCli, startCli, tempDir, waitCli, waitFor } from '../../helpers/cli.js';
import { freePort, httpAnswers, useDockerTestbed, waitUntil } from '../../helpers/docker.js';
import { decidedRun } from '../../helpers/decided.js';

describe('Docker experiments end to end (real engine)', function () {
  this.timeout(90_000);
  const bed = useDockerTestbed();
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('experiments/docker-kill-replicas.yaml: kills a third of the labelled replicas under load and holds', async () => {
    const label = `firebreak-example-web-${bed.runId}`;
    const ports = [await freePort(), await freePort(), await freePort()];
    for (const [i, port] of ports.entries()) await bed.httpServer(`replica-${i}`, port, { labels: { app: label } });
    const loaded = loadExperimentFile(join(ROOT, 'experiments', 'docker-kill-replicas.yaml'), {
      vars: { replica_a: `127.0.0.1:${ports[0]}`, replica_b: `127.0.0.1:${ports[1]}`, replica_c: `127.0.0.1:${ports[2]}` },
    });
    assert.deepEqual(loaded.issues.map(formatIssue), []);
    // Point the selector at this test's replicas only.
    const e = loaded.experiment!;
    e.cohort.targets!.selector = { labels: { app: label } };
    e.hypothesis.probes.find((p) => p.name === 'replicas')!.attrs = { selector: { labels: { app: label } } };
    const result = await decidedRun(() => runExperiment(e, { ledgerPath: join(tmp.dir, 'ledger.jsonl') }));
    assert.equal(result.status, 'held', result.journal.verdict.reason);
    assert.equal(result.journal.plan?.targets?.canary.length, 1);
    assert.equal(result.journal.plan?.targets?.control.length, 2);
    const during = result.journal.phases.find((p) => p.phase === 'during')!.signals.web!.all!;
    assert.ok(during.errors.rate > 0.1 && during.errors.rate < 0.4, `errors while one of three was down: ${during.errors.rate}`);
    for (const port of ports) assert.equal(await httpAnswers(port), true, `replica on ${port} answers after the run`);
  });

  it('kill -9 mid-fault: `firebreak recover` unpauses every paused container', async () => {
    const label = `fb-recover-${bed.runId}`;
    const ports = [await freePort(), await freePort()];
    for (const [i, port] of ports.entries()) await bed.httpServer(`paused-${i}`, port, { labels: { app: label } });
    const file = join(tmp.dir, 'pause.yaml');
    const ledger = join(tmp.dir, 'ledger.jsonl');
    writeFileSync(file, [
      'title: Pause all, then get killed',
      'cohort:',
      `  targets: { driver: docker, selector: { labels: { app: ${label} } }, mode: all }`,
      'phases: { before: 100ms, during: 60s, after: 100ms, tick: 100ms }',
      'faults:',
      '  - { type: docker.pause }',
      '',
    ].join('\n'));
    const child = startCli(['--ledger', ledger, 'run', file], { cwd: tmp.dir });
    await waitFor('both containers paused', () => Ledger.readEntries(ledger).filter((x) => x.event === 'applied').length === 2, 30_000);
    child.kill('SIGKILL');
    await waitCli(child, 10_000);
    for (const port of ports) assert.equal(await httpAnswers(port, 800), false, 'still paused after the kill');
    const r = await runCli(['--ledger', ledger, 'recover'], { cwd: tmp.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /2 of 2 fault\(s\) reverted/);
    for (const port of ports) await waitUntil(() => httpAnswers(port), 5_000, `port ${port} to answer`);
    assert.deepEqual(openFaultsOf(Ledger.readEntries(ledger)), []);
  });

  it('inject docker.pause --label ... --mode percent --value 50: one of two paused for the duration, then unpaused', async () => {
    const label = `fb-inject-${bed.runId}`;
    const ports = [await freePort(), await freePort()];
    const ids: string[] = [];
    for (const [i, port] of ports.entries()) ids.push((await bed.httpServer(`inject-${i}`, port, { labels: { app: label } })).id);
    const child = startCli(['--ledger', join(tmp.dir, 'l.jsonl'), 'inject', 'docker.pause', '--label', `app=${label}`, '--mode', 'percent', '--value', '50', '--duration', '3s'], { cwd: tmp.dir });
    let pausedSeen = 0;
    await waitUntil(async () => {
      const states = await Promise.all(ids.map(async (id) => (await bed.inspect(id)).State.Paused));
      pausedSeen = Math.max(pausedSeen, states.filter(Boolean).length);
      return pausedSeen > 0;
    }, 15_000, 'a paused container');
    const r = await waitCli(child, 30_000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(pausedSeen, 1, 'exactly one of two (50%) was paused');
    for (const id of ids) assert.equal((await bed.inspect(id)).State.Paused, false);
  });

  it('refuses two faults of one type overlapping on the same container, before touching anything', async () => {
    const label = `fb-overlap-${bed.runId}`;
    const c = await bed.run({ name: 'overlap', cmd: ['sleep', '600'], labels: { app: label } });
    const file = join(tmp.dir, 'overlap.yaml');
    writeFileSync(file, [
      'title: Overlapping squeezes',
      'cohort:',
      `  targets: { driver: docker, selector: { labels: { app: ${label} } }, mode: all }`,
      'phases: { before: 100ms, during: 4s, after: 100ms, tick: 100ms }',
      'faults:',
      '  - { type: docker.cpu, cpus: 0.5, duration: 3s }',
      '  - { type: docker.cpu, cpus: 0.25, start: 1s }',
      '',
    ].join('\n'));
    const ledger = join(tmp.dir, 'l.jsonl');
    const r = await runCli(['--ledger', ledger, 'run', file], { cwd: tmp.dir });
    assert.equal(r.code, 4);
    assert.match(r.stdout, /FIREBREAK_E_PLAN: faults "docker\.cpu#1" and "docker\.cpu#2" \(docker\.cpu\) overlap in time/);
    assert.deepEqual(Ledger.readEntries(ledger), []);
    assert.equal((await bed.inspect(c.id)).HostConfig.NanoCpus ?? 0, 0);
  });

  it('--dry-run lists the exact containers and refuses a selection over the blast radius, touching nothing', async () => {
    const label = `fb-plan-${bed.runId}`;
    for (const i of [0, 1, 2]) await bed.run({ name: `plan-${i}`, cmd: ['sleep', '600'], labels: { app: label, role: i === 2 ? 'db' : 'web' } });
    const file = join(tmp.dir, 'plan.yaml');
    const write = (extra: string) => writeFileSync(file, [
      'title: Plan only',
      'cohort:',
      `  targets: { driver: docker, selector: { labels: { app: ${label} } }, mode: all, protect: { labels: { role: db } }${extra} }`,
      'faults: [ { type: docker.pause } ]',
      '',
    ].join('\n'));
    write('');
    const plan = await runCli(['--ledger', join(tmp.dir, 'l.jsonl'), 'run', '--dry-run', file], { cwd: tmp.dir });
    assert.equal(plan.code, 0, plan.stderr);
    assert.equal((plan.stdout.match(/^\s+canary\s+fb-/gm) ?? []).length, 2);
    assert.match(plan.stdout, /protected fb-\S+-plan-2/);
    write(', maxBlastRadius: 1');
    const refused = await runCli(['--ledger', join(tmp.dir, 'l.jsonl'), 'run', file], { cwd: tmp.dir });
    assert.equal(refused.code, 4);
    assert.match(refused.stdout, /FIREBREAK_E_BLAST_RADIUS: the selection would touch 2 targets of 3 matching; maxBlastRadius/);
    assert.deepEqual(Ledger.readEntries(join(tmp.dir, 'l.jsonl')), []);
  });
});
