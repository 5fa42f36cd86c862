import { strict as assert } from 'node:assert';
import { FireTimes } from '../../src/schedule/fire-times.js';

const iso = (ms: number) => new Date(ms).toISOString();

/*
 * Fire times on daylight-saving days: a wall time that happens twice fires once (the first), one that
 * does not happen fires shifted forward by the gap, in whole-hour and half-hour zones alike.
 */
describe('fire times in a time zone, across daylight-saving changes', () => {
  const cases: [what: string, cron: string, zone: string, from: string, expected: string[]][] = [
    ['Berlin, clocks forward (02:30 does not exist): fires at 03:30 CEST', '30 2 * * *', 'Europe/Berlin', '2026-03-28T00:00:00Z', ['2026-03-28T01:30:00.000Z', '2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z']],
    ['Berlin, clocks back (02:30 happens twice): fires once, at the first', '30 2 * * *', 'Europe/Berlin', '2026-10-24T00:00:00Z', ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']],
    ['Berlin, every half hour through the repeated hour: no slot twice', '*/30 1-3 * * *', 'Europe/Berlin', '2026-10-24T22:00:00Z', ['2026-10-24T23:00:00.000Z', '2026-10-24T23:30:00.000Z', '2026-10-25T00:00:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-25T02:00:00.000Z', '2026-10-25T02:30:00.000Z']],
    ['New York, clocks back: 01:30 once', '30 1 * * *', 'America/New_York', '2026-10-31T00:00:00Z', ['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']],
    ['New York, clocks forward: 02:00 fires at 03:00 EDT', '0 2 * * *', 'America/New_York', '2026-03-07T00:00:00Z', ['2026-03-07T07:00:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:00:00.000Z']],
    ['Lord Howe, half-hour clocks back (01:45 twice): once', '45 1 * * *', 'Australia/Lord_Howe', '2026-04-04T00:00:00Z', ['2026-04-04T14:45:00.000Z', '2026-04-05T15:15:00.000Z']],
    ['Lord Howe, half-hour clocks forward (02:15 does not exist): 02:45', '15 2 * * *', 'Australia/Lord_Howe', '2026-10-03T00:00:00Z', ['2026-10-03T15:45:00.000Z', '2026-10-04T15:15:00.000Z']],
    ['weekly in UTC', '0 10 * * tue', 'UTC', '2026-12-01T10:00:00Z', ['2026-12-08T10:00:00.000Z', '2026-12-15T10:00:00.000Z']],
    ['with seconds', '*/20 * * * * *', 'UTC', '2026-12-01T10:00:05Z', ['2026-12-01T10:00:20.000Z', '2026-12-01T10:00:40.000Z', '2026-12-01T10:01:00.000Z']],
  ];
  for (const [what, cron, zone, from, expected] of cases) {
    it(what, () => {
      assert.deepEqual(new FireTimes(cron, zone).upcoming(Date.parse(from), expected.length).map(iso), expected);
    });
  }

  it('never fires twice, nor goes backwards, across each zone\'s two changes of 2026, every 15 minutes', () => {
    const days: [string, string[]][] = [
      ['Europe/Berlin', ['2026-03-28T12:00:00Z', '2026-10-24T12:00:00Z']],
      ['America/New_York', ['2026-03-07T12:00:00Z', '2026-10-31T12:00:00Z']],
      ['Australia/Lord_Howe', ['2026-04-04T00:00:00Z', '2026-10-03T00:00:00Z']],
    ];
    for (const [zone, starts] of days) {
      const f = new FireTimes('*/15 * * * *', zone);
      for (const start of starts) {
        const from = Date.parse(start);
        const times = f.between(from, from + 36 * 3_600_000, 500);
        assert.equal(new Set(times).size, times.length, `${zone}: a duplicate instant`);
        for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!, `${zone}: not increasing at ${iso(times[i]!)}`);
        // 36 hours of quarter hours, less the slots an hour (or half hour) that did not happen.
        assert.ok(times.length >= 140 && times.length <= 144, `${zone} from ${start}: ${times.length} slots`);
      }
    }
  });

  it('refuses an unknown zone and a bad expression', () => {
    assert.throws(() => new FireTimes('0 10 * * *', 'Mars/Olympus'), /unknown time zone/);
    assert.throws(() => new FireTimes('61 10 * * *', 'UTC'), RangeError);
  });
});
