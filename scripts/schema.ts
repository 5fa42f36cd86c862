// Writes schema/experiment.schema.json with every fault's and probe's attributes taken from their
// definitions (`npm run schema`). test/experiment/attributes.test.ts fails when the file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRegistry } from '../src/drivers/builtin.js';
import { withTypeSchemas } from '../src/experiment/schema.js';

const file = join(fileURLToPath(new URL('..', import.meta.url)), 'schema', 'experiment.schema.json');
const schema = withTypeSchemas(JSON.parse(readFileSync(file, 'utf8')), defaultRegistry());
writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
process.stdout.write(`wrote ${file}\n`);
