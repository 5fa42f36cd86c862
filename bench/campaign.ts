// The reliability campaign against firebreak itself (issue: no fault outlives its run). The short form
// runs in `npm test` (test/campaign/campaign.test.ts); the long form runs here:
//   node --import tsx bench/campaign.ts --long      (about 30 minutes; needs root for tmpfs, and Docker)
// It prints progress and writes bench/results/campaign.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LONG, SHORT, runCampaign } from './campaign/run.js';

const size = process.argv.includes('--long') ? LONG : SHORT;
const report = await runCampaign(size, (line) => process.stdout.write(`${line}\n`));
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', `campaign${size.form === 'long' ? '' : '-short'}.json`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(report.summary)}\nwritten to ${out}\n`);
const clean = report.summary.faultsLeft === 0 && report.summary.crashes === 0 && report.summary.hangs === 0 && report.kills.badInterrupts === 0 && report.kills.slowReverts === 0 && report.disk.passed === report.disk.scenarios;
process.exitCode = clean ? 0 : 1;
