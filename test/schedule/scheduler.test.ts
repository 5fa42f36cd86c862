import { strict as assert } from 'node:assert';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ScheduleEntry } from '../../src/history/history.js';
import { jitterOf } from '../../src/schedule/policy.js';
import { tempDir } from '../helpers/cli.js';
import { schedule, simulate } from './virtual.js';

const events = (h: { read(f: { kind: 'schedule' }): unknown[] }) => h.read({ kind: 'schedule' }) as ScheduleEntry[];

/*
 * The scheduler's own loop on simulated time: fire times, daylight-saving days, missed slots after
 * downtime, overlap, calendars, pause, jitter and two schedulers on one state directory.
 */
describe('the scheduler, on simulated time', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('runs each slot at its time, in its zone, once on the day the clocks go back', async () => {
    const sim = await simulate(tmp.dir, [schedule({ name: 'nightly', cron: '30 2 * * *', timeZone: 'Europe/Berlin' })], { from: '2026-10-23T12:00:00Z', to: '2026-10-27T12:00:00Z' });
    assert.deepEqual(sim.runs.map((r) => r.start), ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']);
  });

  it('on the day the clocks go forward, the missing 02:30 runs at 03:30', async () => {
    const sim = await simulate(tmp.dir, [schedule({ name: 'nightly', cron: '30 2 * * *', timeZone: 'Europe/Berlin' })], { from: '2026-03-28T12:00:00Z', to: '2026-03-29T12:00:00Z' });
    assert.deepEqual(sim.runs.map((r) => r.start), ['2026-03-29T01:30:00.000Z']);
  });

  it('missed slots after downtime: skipped and recorded (missed: skip)', async () => {
    const s = schedule({ name: 'daily', cron: '0 10 * * *' });
    const sim = await simulate(tmp.dir, [s], {
      from: '2026-12-05T12:00:00Z', to: '2026-12-05T13:00:00Z',
      prepare: (state) => state.update('daily', () => ({ lastSlot: Date.parse('2026-12-02T10:00:00Z') })),
    });
    assert.equal(sim.runs.length, 0);
    const missed = events(sim.history).filter((e) => e.event === 'missed');
    assert.deepEqual(missed.map((e) => e.slot), ['2026-12-03T10:00:00.000Z', '2026-12-04T10:00:00.000Z', '2026-12-05T10:00:00.000Z']);
    assert.match(missed[0]!.reason!, /no scheduler ran at its time/);
  });

  it('missed slots after downtime: the latest runs if within the starting deadline (missed: run-latest)', async () => {
    const s = schedule({ name: 'daily', cron: '0 10 * * *', missed: 'run-latest', startingDeadlineMs: 3 * 3_600_000 });
    const sim = await simulate(tmp.dir, [s], {
      from: '2026-12-05T12:00:00Z', to: '2026-12-05T13:00:00Z',
      prepare: (state) => state.update('daily', () => ({ lastSlot: Date.parse('2026-12-02T10:00:00Z') })),
    });
    assert.deepEqual(sim.runs, [{ schedule: 'daily', slot: '2026-12-05T10:00:00.000Z', start: '2026-12-05T12:00:00.000Z' }]);
    assert.deepEqual(events(sim.history).filter((e) => e.event === 'missed').map((e) => e.slot), ['2026-12-03T10:00:00.000Z', '2026-12-04T10:00:00.000Z']);
    assert.match(events(sim.history).find((e) => e.event === 'started')!.reason!, /latest missed slot/);
  });

  it('a missed slot past the starting deadline does not run', async () => {
    const s = schedule({ name: 'daily', cron: '0 10 * * *', missed: 'run-latest', startingDeadlineMs: 3_600_000 });
    const sim = await simulate(tmp.dir, [s], {
      from: '2026-12-05T12:00:00Z', to: '2026-12-05T13:00:00Z',
      prepare: (state) => state.update('daily', () => ({ lastSlot: Date.parse('2026-12-04T10:00:00Z') })),
    });
    assert.equal(sim.runs.length, 0);
    assert.equal(events(sim.history).filter((e) => e.event === 'missed').length, 1);
  });

  it('overlap skip: a slot that comes while a run goes on is skipped, never interrupting it', async () => {
    const sim = await simulate(tmp.dir, [schedule({ name: 'often', cron: '*/10 * * * *' })], { from: '2026-12-01T10:00:00Z', to: '2026-12-01T10:55:00Z', runMs: 25 * 60_000 });
    assert.deepEqual(sim.runs.map((r) => r.start), ['2026-12-01T10:10:00.000Z', '2026-12-01T10:40:00.000Z']);
    const skipped = events(sim.history).filter((e) => e.event === 'skipped');
    assert.deepEqual(skipped.map((e) => e.slot), ['2026-12-01T10:20:00.000Z', '2026-12-01T10:30:00.000Z', '2026-12-01T10:50:00.000Z']);
    assert.ok(skipped.every((e) => /still going on/.test(e.reason!)));
  });

  it('overlap queue: one slot waits for the run and starts when it ends; more are skipped', async () => {
    const sim = await simulate(tmp.dir, [schedule({ name: 'often', cron: '*/10 * * * *', overlap: 'queue' })], { from: '2026-12-01T10:00:00Z', to: '2026-12-01T10:38:00Z', runMs: 25 * 60_000 });
    assert.deepEqual(sim.runs.map((r) => [r.slot, r.start]), [
      ['2026-12-01T10:10:00.000Z', '2026-12-01T10:10:00.000Z'],
      ['2026-12-01T10:20:00.000Z', '2026-12-01T10:35:00.000Z'],
    ]);
    const h = events(sim.history);
    assert.ok(h.some((e) => e.event === 'queued' && e.slot === '2026-12-01T10:20:00.000Z'));
    assert.ok(h.some((e) => e.event === 'skipped' && e.slot === '2026-12-01T10:30:00.000Z' && /one run already waits/.test(e.reason!)));
  });

  it('blackouts at the start and at the estimated end skip the slot', async () => {
    const day = 86_400_000;
    const blackouts = [
      { from: Date.parse('2026-12-02T00:00:00Z'), to: Date.parse('2026-12-03T00:00:00Z'), text: '2026-12-02', reason: 'release' },
      { from: Date.parse('2026-12-04T11:00:00Z'), to: Date.parse('2026-12-04T12:00:00Z'), text: '2026-12-04 11:00 to 12:00' },
    ];
    const sim = await simulate(tmp.dir, [schedule({ name: 'daily', cron: '0 10 * * *', blackouts, estimatedMs: 2 * 3_600_000 })], { from: '2026-12-01T09:00:00Z', to: new Date(Date.parse('2026-12-01T09:00:00Z') + 4 * day).toISOString() });
    assert.deepEqual(sim.runs.map((r) => r.start.slice(0, 10)), ['2026-12-01', '2026-12-03']);
    const skipped = events(sim.history).filter((e) => e.event === 'skipped');
    assert.match(skipped.find((e) => e.slot.startsWith('2026-12-02'))!.reason!, /blackout at its start .*release/);
    assert.match(skipped.find((e) => e.slot.startsWith('2026-12-04'))!.reason!, /blackout before its estimated end/);
  });

  it('allowed days and hours, a freeze file, a minimum interval, and a pause each skip with their reason', async () => {
    const freeze = join(tmp.dir, 'freeze');
    const s = schedule({ name: 'hourly', cron: '0 * * * *', allowedDays: ['mon', 'tue'], allowedHours: { from: 9 * 60, to: 12 * 60, text: '09:00-12:00' }, estimatedMs: 30 * 60_000, minIntervalMs: 2 * 3_600_000, freezeFile: freeze });
    // 2026-11-30 is a Monday.
    const sim = await simulate(tmp.dir, [s], { from: '2026-11-30T08:30:00Z', to: '2026-11-30T13:30:00Z' });
    assert.deepEqual(sim.runs.map((r) => r.start), ['2026-11-30T09:00:00.000Z', '2026-11-30T11:00:00.000Z']);
    const why = new Map(events(sim.history).filter((e) => e.event === 'skipped').map((e) => [e.slot.slice(11, 16), e.reason!]));
    assert.match(why.get('10:00')!, /minimum interval/);
    assert.match(why.get('12:00')!, /outside the allowed hours/);
    writeFileSync(freeze, '');
    const frozen = await simulate(join(tmp.dir, 'b'), [s], { from: '2026-12-01T08:30:00Z', to: '2026-12-01T09:30:00Z' });
    assert.equal(frozen.runs.length, 0);
    assert.match(events(frozen.history)[0]!.reason!, /freeze file .* exists/);
    rmSync(freeze);
    const wednesday = await simulate(join(tmp.dir, 'c'), [s], { from: '2026-12-02T08:30:00Z', to: '2026-12-02T09:30:00Z' });
    assert.match(events(wednesday.history)[0]!.reason!, /Wednesday is not among the allowed days/);
    const paused = await simulate(join(tmp.dir, 'd'), [s], { from: '2026-12-01T08:30:00Z', to: '2026-12-01T09:30:00Z', prepare: (st) => st.update('hourly', (m) => ({ ...m, paused: true })) });
    assert.equal(paused.runs.length, 0);
    assert.match(events(paused.history)[0]!.reason!, /paused/);
  });

  it('jitter delays a slot by the same seeded amount on every scheduler, within its bound', async () => {
    const s = schedule({ name: 'jittery', cron: '0 10 * * *', jitterMs: 10 * 60_000 });
    const slot = Date.parse('2026-12-01T10:00:00Z');
    assert.equal(jitterOf(s, slot), jitterOf(schedule({ name: 'jittery', cron: '0 10 * * *', jitterMs: 10 * 60_000 }), slot));
    const sim = await simulate(tmp.dir, [s], { from: '2026-12-01T09:00:00Z', to: '2026-12-03T09:00:00Z' });
    assert.equal(sim.runs.length, 2);
    for (const r of sim.runs) {
      const delay = Date.parse(r.start) - Date.parse(r.slot);
      assert.equal(delay, jitterOf(s, Date.parse(r.slot)));
      assert.ok(delay >= 0 && delay < 10 * 60_000);
    }
    assert.notEqual(jitterOf(s, slot), jitterOf(s, slot + 86_400_000), 'another slot, another offset');
  });

  it('two schedulers on one state directory never run the same slot', async () => {
    const sim = await simulate(tmp.dir, [schedule({ name: 'often', cron: '*/5 * * * *' })], { from: '2026-12-01T10:00:00Z', to: '2026-12-01T11:00:00Z', runMs: 60_000, schedulers: 2 });
    const slots = sim.runs.map((r) => r.slot);
    assert.equal(slots.length, 12);
    assert.equal(new Set(slots).size, slots.length, 'a slot ran twice');
    assert.equal(events(sim.history).filter((e) => e.event === 'skipped' && /another scheduler/.test(e.reason!)).length, 12);
  });
});
