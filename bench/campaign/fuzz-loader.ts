import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadExperimentFile } from '../../src/experiment/loader.js';

/** What fuzzing the experiment loader found. */
export interface LoaderFuzzReport {
  cases: number;
  crashes: number;
  hangs: number;
  /** Validation issues without a line and column. */
  unpositioned: number;
  valid: number;
  slowestMs: number;
  byKind: Record<string, number>;
  failures: { index: number; kind: string; why: string }[];
}

const BASE = `title: Fuzzed
description: a valid experiment the fuzzer mutates
tags: [fuzz]
configuration: { url: "http://127.0.0.1:9", n: 3 }
phases: { before: 1s, during: 2s, after: 1s, tick: 500ms }
target:
  proxy: { proxies: [ { name: web, upstream: "127.0.0.1:9", listen: "127.0.0.1:0" } ] }
hypothesis:
  probes:
    - { name: health, type: http, url: "\${url}/health", phases: [before, after] }
  tolerances: [ "health.status == 200" ]
faults:
  - { type: process, apply: "true", revert: "true", timeout: 5s }
  - { type: proxy.latency, proxy: web, latency: 100ms, start: 500ms, duration: 1s }
abort: [ "health.status != 200" ]
rollbacks: [ { type: process, command: "true" } ]
`;

type Case = { kind: string; bytes: Buffer };

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  fc.string({ minLength: 1000, maxLength: 200_000 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(2 ** 31, 2 ** 53, -1, 0, 1e308, '600h', '1ms', '-5s', '', '%zz', '${nope}', '${env:HOME}', '*', '&', '\u0000', '\uD800'),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 4 }),
);

/** Every path into an object, as key lists. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

const mutated: fc.Arbitrary<Case> = fc
  .tuple(fc.nat(), fc.constantFrom('set', 'delete', 'rename', 'wrap'), anyValue, fc.string({ maxLength: 12 }), fc.boolean())
  .map(([pick, op, value, newKey, asJson]) => {
    const doc = parse(BASE) as Record<string, unknown>;
    const all = paths(doc).filter((p) => p.length > 0);
    const path = all[pick % all.length]!;
    const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], doc);
    const key = path.at(-1)!;
    if (op === 'set') parent[key] = value;
    else if (op === 'delete') Array.isArray(parent) ? parent.splice(Number(key), 1) : delete parent[key];
    else if (op === 'rename' && !Array.isArray(parent)) {
      parent[newKey || '_'] = parent[key];
      delete parent[key];
    } else parent[key] = [parent[key]];
    let text: string;
    try {
      text = asJson ? JSON.stringify(doc) : stringify(doc);
    } catch {
      text = JSON.stringify(doc) ?? '';
    }
    return { kind: `mutated-${op}`, bytes: Buffer.from(text) };
  });

const aliasBomb: fc.Arbitrary<Case> = fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 12 })).map(([levels, width]) => {
  const lines = ['title: &l0 lol'];
  for (let i = 1; i <= levels; i++) lines.push(`l${i}: &l${i} [${Array.from({ length: width }, () => `*l${i - 1}`).join(', ')}]`);
  return { kind: 'alias-bomb', bytes: Buffer.from(lines.join('\n') + '\n') };
});

const badAlias: fc.Arbitrary<Case> = fc.constantFrom(
  'title: *nope\n',
  'title: x\na: &a [1, *a]\n',
  '&m { title: x, self: *m }\n',
  'title: x\nfaults: &f [ { type: process, apply: "true", revert: "true", again: *f } ]\n',
  'title: x\nb: *a\na: &a 1\n',
).map((text) => ({ kind: 'bad-alias', bytes: Buffer.from(text) }));

const anchorReuse: fc.Arbitrary<Case> = fc.integer({ min: 1, max: 200 }).map((n) => {
  const lines = ['title: Reuse', 'configuration:', '  base: &base { url: "http://127.0.0.1:9", method: GET, headers: { a: "1", b: "2" } }'];
  for (let i = 0; i < n; i++) lines.push(`  copy${i}: *base`);
  return { kind: 'anchor-reuse', bytes: Buffer.from(lines.join('\n') + '\n') };
});

const deep: fc.Arbitrary<Case> = fc.tuple(fc.integer({ min: 10, max: 20_000 }), fc.constantFrom('[', '{a: ', '- ')).map(([depth, open]) => {
  const text = open === '- '
    ? `title: x\nd:\n${Array.from({ length: Math.min(depth, 2000) }, (_, i) => `${' '.repeat(i * 2)}- `).join('\n')}x\n`
    : `title: x\nd: ${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}\n`;
  return { kind: 'deep-nesting', bytes: Buffer.from(text) };
});

const binary: fc.Arbitrary<Case> = fc.uint8Array({ maxLength: 4096 }).map((b) => ({ kind: 'binary', bytes: Buffer.from(b) }));

const huge: fc.Arbitrary<Case> = fc.tuple(fc.integer({ min: 100_000, max: 2_000_000 }), fc.constantFrom('title', 'description', 'configuration')).map(([n, key]) => ({
  kind: 'huge-value',
  bytes: Buffer.from(key === 'configuration' ? `title: x\nconfiguration: { v: "${'x'.repeat(n)}" }\n` : `title: x\n${key}: "${'y'.repeat(n)}"\n`),
}));

const yamlish: fc.Arbitrary<Case> = fc
  .array(fc.constantFrom('title', ':', ' ', '\n', '  ', '- ', '&a', '*a', '!!str', '!!binary', '{', '}', '[', ']', '"', "'", '#', '%YAML 1.2\n', '---\n', '...\n', '<<: *a', '? ', '|', '>', 'faults', 'process', '${x}', '\t', '@', '`'), { maxLength: 60 })
  .map((parts) => ({ kind: 'yaml-soup', bytes: Buffer.from(parts.join('')) }));

const cases: fc.Arbitrary<Case> = fc.oneof(
  { arbitrary: mutated, weight: 10 },
  { arbitrary: aliasBomb, weight: 2 },
  { arbitrary: badAlias, weight: 1 },
  { arbitrary: anchorReuse, weight: 2 },
  { arbitrary: deep, weight: 1 },
  { arbitrary: binary, weight: 2 },
  { arbitrary: huge, weight: 1 },
  { arbitrary: yamlish, weight: 3 },
);

/**
 * Loads `count` generated experiment files (fixed seed: a failure replays) and counts crashes (the
 * loader threw), hangs (a case took longer than `hangMs`) and validation issues without a position.
 */
export function fuzzLoader(opts: { count: number; seed: number; dir: string; hangMs?: number }): LoaderFuzzReport {
  const hangMs = opts.hangMs ?? 5_000;
  const report: LoaderFuzzReport = { cases: 0, crashes: 0, hangs: 0, unpositioned: 0, valid: 0, slowestMs: 0, byKind: {}, failures: [] };
  const file = join(opts.dir, 'fuzzed.yaml');
  fc.sample(cases, { seed: opts.seed, numRuns: opts.count }).forEach((c, index) => {
    report.cases++;
    report.byKind[c.kind] = (report.byKind[c.kind] ?? 0) + 1;
    writeFileSync(file, c.bytes);
    const started = performance.now();
    try {
      const loaded = loadExperimentFile(file, { env: {} });
      if (loaded.experiment) report.valid++;
      const unpositioned = loaded.issues.filter((i) => i.line === undefined || i.column === undefined);
      if (unpositioned.length) {
        report.unpositioned++;
        if (report.failures.length < 10) report.failures.push({ index, kind: c.kind, why: `unpositioned: ${unpositioned[0]!.path}: ${unpositioned[0]!.message}` });
      }
    } catch (err) {
      report.crashes++;
      if (report.failures.length < 10) report.failures.push({ index, kind: c.kind, why: `threw: ${(err as Error).message.slice(0, 200)}` });
    }
    const ms = performance.now() - started;
    report.slowestMs = Math.max(report.slowestMs, Math.round(ms));
    if (ms > hangMs) {
      report.hangs++;
      if (report.failures.length < 10) report.failures.push({ index, kind: c.kind, why: `took ${Math.round(ms)} ms` });
    }
  });
  return report;
}
