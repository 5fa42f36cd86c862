import { strict as assert } from 'node:assert';
import { parseDuration, parseFraction, parseBytes, formatDuration } from '../../src/util/duration.js';

describe('durations, fractions and sizes', () => {
  const durations: [unknown, number | undefined][] = [
    ['250ms', 250], ['30s', 30_000], ['2m', 120_000], ['1m30s', 90_000], ['1h', 3_600_000], ['1.5s', 1500],
    ['500us', 0.5], [1500, 1500], ['42', 42], ['', undefined], ['10 parsecs', undefined], ['-1s', undefined], [-5, undefined], ['s', undefined],
  ];
  for (const [input, expected] of durations) {
    it(`parseDuration(${JSON.stringify(input)}) = ${expected}`, () => assert.equal(parseDuration(input), expected));
  }
  const fractions: [unknown, number | undefined][] = [['5%', 0.05], ['0.5%', 0.005], [0.25, 0.25], [50, 0.5], ['100%', 1], ['150%', undefined], ['abc', undefined]];
  for (const [input, expected] of fractions) {
    it(`parseFraction(${JSON.stringify(input)}) = ${expected}`, () => assert.equal(parseFraction(input), expected));
  }
  it('parses byte sizes', () => {
    assert.equal(parseBytes('64KB'), 64_000);
    assert.equal(parseBytes('1MiB'), 1_048_576);
    assert.equal(parseBytes('12 parsecs'), undefined);
  });
  it('formats durations for people', () => {
    assert.equal(formatDuration(850), '850ms');
    assert.equal(formatDuration(12_500), '12.5s');
    assert.equal(formatDuration(125_000), '2m05s');
  });
});
