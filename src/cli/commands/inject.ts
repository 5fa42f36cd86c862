import { Command } from 'commander';
import { EXIT } from '../../errors.js';
import { defaultRegistry } from '../../drivers/builtin.js';
import { formatIssue } from '../../experiment/issues.js';
import { buildExperimentObject } from '../../experiment/loader.js';
import { parseDuration } from '../../util/duration.js';
import { writeJournal } from '../../engine/journal.js';
import { formatSummary } from '../../report/summary.js';
import { runFromCli } from '../shared.js';

/** Options that pick targets or connect drivers; every other `--name value` is a fault attribute. */
const SELECTION = ['name', 'name-pattern', 'label', 'image', 'namespace', 'mode', 'value', 'seed', 'protect-name', 'protect-label', 'max-blast-radius', 'compose-project', 'compose-service'];
const CONNECTION: Record<string, [string, string]> = { 'proxy-url': ['proxy', 'url'], 'docker-host': ['docker', 'host'], kubeconfig: ['kubernetes', 'kubeconfig'], context: ['kubernetes', 'context'] };

export function injectCommand(): Command {
  return new Command('inject')
    .description('one-off fault: apply, count down, revert at the end or on Ctrl-C (ledgered like any run)')
    .argument('<fault>', 'fault type, e.g. proxy.latency, docker.pause')
    .option('--duration <duration>', 'how long the fault stays', '30s')
    .option('--dry-run', 'print the plan and stop')
    .option('--journal <file>', 'write the journal here')
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .helpOption('-h, --help', 'show help; other --<attribute> <value> options are the fault\'s attributes (see the README), and --label k=v, --name, --name-pattern, --mode, --value, --seed, --protect-label select targets')
    .action(async (type: string, flags: { duration: string; dryRun?: boolean; journal?: string }, cmd: Command) => {
      const registry = defaultRegistry();
      const fault = registry.fault(type);
      if (!fault) {
        process.stderr.write(`firebreak: unknown fault type "${type}" (known: ${registry.faultTypes().join(', ')})\n`);
        process.exitCode = EXIT.invalid;
        return;
      }
      const during = parseDuration(flags.duration);
      if (during === undefined || during <= 0) {
        process.stderr.write(`firebreak: --duration: not a duration: "${flags.duration}"\n`);
        process.exitCode = EXIT.invalid;
        return;
      }
      const extra = parseExtraOptions(cmd.args.slice(1));
      if (typeof extra === 'string') {
        process.stderr.write(`firebreak: ${extra}\n`);
        process.exitCode = EXIT.invalid;
        return;
      }
      const { attrs, selection, target } = extra;
      const definition: Record<string, unknown> = {
        title: `inject ${type}`,
        description: 'one-off fault injection from the command line',
        phases: { before: 0, during, after: 0, tick: Math.min(1000, during) },
        faults: [{ type, ...attrs }],
        target,
      };
      if (fault.scope === 'target') definition.cohort = { targets: targetsFrom(fault.driver, selection) };
      if (fault.driver === 'proxy' && !(target.proxy as Record<string, unknown> | undefined)?.url) {
        (definition.target as Record<string, unknown>).proxy = { url: process.env.FIREBREAK_PROXY_URL ?? 'http://127.0.0.1:8474' };
      }
      const loaded = buildExperimentObject(definition, { registry });
      if (!loaded.experiment) {
        for (const i of loaded.issues) process.stderr.write(formatIssue({ ...i, file: '<command line>' }).replace(/faults\[0\]\./, '--') + '\n');
        process.exitCode = EXIT.invalid;
        return;
      }
      const result = await runFromCli(cmd, loaded.experiment, { given: definition, ...(flags.dryRun ? { dryRun: true } : {}) });
      if (flags.journal) writeJournal(flags.journal, result.journal);
      process.stdout.write(formatSummary(result.journal, flags.journal) + '\n');
      process.exitCode = result.exitCode;
    });
}

type Extra = { attrs: Record<string, unknown>; selection: Record<string, string[]>; target: Record<string, Record<string, unknown>> };

/** `--latency 300ms --label app=x` into fault attributes, target selection and driver settings. */
export function parseExtraOptions(args: string[]): Extra | string {
  const out: Extra = { attrs: {}, selection: {}, target: {} };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(a);
    if (!m) return `unexpected argument "${a}" (fault attributes are given as --name value)`;
    const key = m[1]!;
    let value = m[2];
    if (value === undefined) {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) value = 'true';
      else value = args[++i]!;
    }
    if (SELECTION.includes(key)) (out.selection[key] ??= []).push(value);
    else if (CONNECTION[key]) {
      const [driver, field] = CONNECTION[key]!;
      (out.target[driver] ??= {})[field] = value;
    } else {
      const name = key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      const v = coerce(value);
      out.attrs[name] = name in out.attrs ? [...[out.attrs[name]].flat(), v] : v;
    }
  }
  return out;
}

function coerce(v: string): unknown {
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return v;
}

function targetsFrom(driver: string, s: Record<string, string[]>): Record<string, unknown> {
  const labels = (list?: string[]): Record<string, string> | undefined =>
    list ? Object.fromEntries(list.map((l) => [l.slice(0, l.indexOf('=') < 0 ? l.length : l.indexOf('=')), l.indexOf('=') < 0 ? '' : l.slice(l.indexOf('=') + 1)])) : undefined;
  const selector: Record<string, unknown> = {};
  if (s.name) selector.names = s.name;
  if (s['name-pattern']) selector.namePattern = s['name-pattern'][0];
  if (s.label) selector.labels = labels(s.label);
  if (s.image) selector.image = s.image[0];
  if (s.namespace) selector.namespaces = s.namespace;
  if (s['compose-project']) selector.composeProject = s['compose-project'][0];
  if (s['compose-service']) selector.composeService = s['compose-service'][0];
  const protect: Record<string, unknown> = {};
  if (s['protect-name']) protect.names = s['protect-name'];
  if (s['protect-label']) protect.labels = labels(s['protect-label']);
  return {
    driver,
    selector,
    mode: s.mode?.[0] ?? 'all',
    ...(s.value ? { value: s.value[0] } : {}),
    ...(s.seed ? { seed: s.seed[0] } : {}),
    ...(Object.keys(protect).length ? { protect } : {}),
    ...(s['max-blast-radius'] ? { maxBlastRadius: /%$/.test(s['max-blast-radius'][0]!) ? s['max-blast-radius'][0] : Number(s['max-blast-radius'][0]) } : {}),
  };
}
