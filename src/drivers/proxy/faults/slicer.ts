import { formatDuration } from '../../../util/duration.js';
import { readDuration, readNumber } from '../../core/attrs.js';
import { describeCommon } from '../attrs.js';
import { toxicFault } from '../toxic-fault.js';

/** Slices data into small pieces, optionally `delay` apart (Toxiproxy `slicer`). */
export const proxySlicer = toxicFault({
  type: 'proxy.slicer',
  toxic: 'slicer',
  summary: 'Slices data through a proxy into pieces of about averageSize ± sizeVariation bytes, delay apart.',
  attributes: [
    { name: 'averageSize', kind: 'integer', unit: 'bytes', min: 1, required: true, summary: 'The average size of each piece.' },
    { name: 'sizeVariation', kind: 'integer', unit: 'bytes', min: 0, default: 0, summary: 'How much a piece may differ from the average (less than averageSize).' },
    { name: 'delay', kind: 'duration', default: '0ms', summary: 'The pause between pieces.' },
  ],
  example: { averageSize: 64, sizeVariation: 32, delay: '10ms' },
  read(attrs, issues) {
    const average = readNumber(attrs, 'averageSize', issues, { required: true, integer: true, min: 1 });
    const variation = readNumber(attrs, 'sizeVariation', issues, { integer: true, min: 0, fallback: 0 });
    const delay = readDuration(attrs, 'delay', issues, 0);
    if (average !== undefined && variation !== undefined && variation >= average) {
      issues.add('sizeVariation', `must be smaller than averageSize (${average})`);
      return undefined;
    }
    if (average === undefined || variation === undefined || delay === undefined) return undefined;
    return { average_size: average, size_variation: variation, delay: Math.round(delay * 1000) };
  },
  describe: (a) =>
    `slice into ${a.attributes.average_size}±${a.attributes.size_variation} byte pieces${a.attributes.delay ? ` ${formatDuration(Number(a.attributes.delay) / 1000)} apart` : ''} ${describeCommon(a)}`,
});
