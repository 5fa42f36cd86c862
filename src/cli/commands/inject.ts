import { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { EXIT, FirebreakError } from '../../errors.js';
import { defaultRegistry } from '../../drivers/builtin.js';
import type { Registry } from '../../drivers/registry.js';
import type { AttributeDoc, AttributeKind } from '../../experiment/attributes.js';
import { formatIssue } from '../../experiment/issues.js';
import { buildExperimentObject } from '../../experiment/loader.js';
import { formatDuration } from '../../util/duration.js';
import { didYouMean } from '../../util/suggest.js';
import { writeJournal, type PlanSummary } from '../../engine/journal.js';
import { formatSummary } from '../../report/summary.js';
import { durationOption, Output, withOutputFlags, type OutputFlags } from '../output.js';
import { runFromCli } from '../shared.js';
import { formatPlan } from './run.js';

/** Options that pick targets or connect drivers; every other `--name value` is a fault attribute. */
const SELECTION = ['name', 'name-pattern', 'label', 'image', 'namespace', 'mode', 'value', 'seed', 'protect-name', 'protect-label', 'max-blast-radius', 'compose-project', 'compose-service'];
/** Flags without a value that widen or confirm the selection. */
const SWITCHES = ['all-containers', 'all-pods', 'all-targets', 'yes'];
/** Options that only narrow or shape a selection: alone they still select everything. */
const SHAPING = ['mode', 'value', 'seed', 'protect-name', 'protect-label', 'max-blast-radius'];
const CONNECTION: Record<string, [string, string]> = { 'proxy-url': ['proxy', 'url'], 'docker-host': ['docker', 'host'], kubeconfig: ['kubernetes', 'kubeconfig'], context: ['kubernetes', 'context'] };
/** Above this many targets, a terminal asks before anything is touched (unless --yes). */
export const CONFIRM_ABOVE = 3;

interface InjectFlags extends OutputFlags {
  duration: number;
  dryRun?: boolean;
  journal?: string;
}

export function injectCommand(): Command {
  return withOutputFlags(
    new Command('inject')
      .description('one-off fault: apply, count down, revert at the end or on Ctrl-C (ledgered like any run)')
      .argument('<fault>', 'fault type, e.g. proxy.latency, docker.pause (firebreak list faults)')
      .option('--duration <duration>', 'how long the fault stays, with its unit (30s, 2m)', durationOption, 30_000)
      .option('--dry-run', 'print the plan (the targets it would touch) and stop; touches nothing')
      .option('--journal <file>', 'write the journal here'),
    'the journal as one JSON document',
  )
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .addHelpText('after', () => injectHelp(defaultRegistry()))
    .action(async (type: string, flags: InjectFlags, cmd: Command) => {
      const registry = defaultRegistry();
      const out = new Output(flags);
      const fault = registry.fault(type);
      if (!fault) {
        throw new FirebreakError('FIREBREAK_E_UNKNOWN_TYPE', `unknown fault type "${type}"${didYouMean(type, registry.faultTypes())} (known: ${registry.faultTypes().join(', ')})`);
      }
      const extra = parseExtraOptions(cmd.args.slice(1), fault.attributes);
      if (typeof extra === 'string') throw new FirebreakError('FIREBREAK_E_USAGE', extra);
      const { attrs, selection, switches, target } = extra;
      if (fault.scope === 'target') {
        const selects = Object.keys(selection).some((k) => !SHAPING.includes(k));
        const all = switches.has('all-targets') || switches.has('all-containers') || switches.has('all-pods');
        if (!selects && !all) {
          throw new FirebreakError(
            'FIREBREAK_E_USAGE',
            `${type} acts on ${fault.driver} targets and nothing selects them: give --name, --name-pattern, --label, --image${fault.driver === 'docker' ? ', --compose-project, --compose-service' : ', --namespace'}, or --all-${fault.driver === 'docker' ? 'containers' : fault.driver === 'kubernetes' ? 'pods' : 'targets'} to mean every one`,
          );
        }
      }
      const during = flags.duration;
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
        for (const i of loaded.issues) out.problem(formatIssue({ ...i, file: '<command line>' }).replace(/faults\[0\]\./, '--'));
        process.exitCode = EXIT.invalid;
        return;
      }
      const confirm = switches.has('yes') || flags.dryRun ? undefined : (plan: PlanSummary, signal: AbortSignal) => confirmTargets(type, plan, during, signal);
      const result = await runFromCli(cmd, loaded.experiment, { given: definition, quiet: out.quiet || out.json, ...(flags.dryRun ? { dryRun: true } : {}), ...(confirm ? { confirm } : {}) });
      if (flags.journal) writeJournal(flags.journal, result.journal);
      out.result(flags.dryRun ? formatPlan(result.journal) : formatSummary(result.journal, flags.journal));
      out.document(result.journal);
      process.exitCode = result.exitCode;
    });
}

/**
 * On a terminal, a fault about to reach more than a few targets is shown and asked about first;
 * without a terminal (CI, scripts) the selection is taken as meant.
 */
async function confirmTargets(type: string, plan: PlanSummary, durationMs: number, signal: AbortSignal): Promise<boolean> {
  const targets = plan.targets?.canary ?? [];
  if (targets.length <= CONFIRM_ABOVE || !process.stdin.isTTY || !process.stderr.isTTY) return true;
  process.stderr.write(`${type} would act on ${targets.length} ${plan.targets!.driver} targets:\n`);
  for (const t of targets) process.stderr.write(`  ${t.name} (${t.id.slice(0, 12)})\n`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Inject ${type} into these ${targets.length} for ${formatDuration(durationMs)}? [y/N] `, { signal });
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

/** inject --help: every fault with its attribute flags, then the selection and connection flags. */
function injectHelp(registry: Registry): string {
  const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const faults = registry.faultTypes().map((t) => registry.fault(t)!);
  const width = Math.max(...faults.map((f) => f.type.length)) + 2;
  const lines = ['', 'Faults and their attributes (--<attribute> <value>; firebreak explain <fault> for units, defaults and examples):'];
  for (const f of faults) {
    const attrs = f.attributes.map((a) => (a.required ? `--${kebab(a.name)} <${a.kind}>` : `[--${kebab(a.name)} <${a.kind}>]`));
    lines.push(`  ${f.type.padEnd(width)}${attrs.join(' ') || '(no attributes)'}`);
  }
  lines.push(
    '',
    'Selecting targets (faults that act on containers or pods; one of the first group is required):',
    '  --name <name>               by name (repeatable)',
    '  --name-pattern <regex>      by name pattern',
    '  --label <key=value>         by label (repeatable; all must match)',
    '  --image <image>             by image',
    '  --compose-project <name>    by Compose project (and --compose-service <name>)',
    '  --namespace <ns>            Kubernetes namespace (repeatable)',
    '  --all-containers            every container (--all-pods: every pod); refused without it when nothing selects',
    '  --mode <mode>               how many of those: all (default), one, fixed, percent, random-max-percent',
    '  --value <n|p%>              the number or percentage for fixed, percent, random-max-percent',
    '  --seed <seed>               repeat a random selection exactly',
    '  --protect-name <name>       never touch this one (repeatable); --protect-label <key=value> likewise',
    '  --max-blast-radius <n|p%>   refuse to run when the selection is larger',
    `  --yes                       do not ask on a terminal before acting on more than ${CONFIRM_ABOVE} targets`,
    '',
    'Connecting:',
    '  --proxy-url <url>           the proxy API (default FIREBREAK_PROXY_URL, else http://127.0.0.1:8474)',
    '  --docker-host <url>         like DOCKER_HOST',
    '  --kubeconfig <file>, --context <name>',
    '',
    'Examples:',
    '  firebreak inject proxy.latency --proxy payments --latency 300ms --jitter 50ms --duration 1m',
    '  firebreak inject proxy.abort --proxy payments --status 503 --cohort canary --duration 30s',
    '  firebreak inject docker.pause --label app=payments --mode one --duration 20s --dry-run',
    '  firebreak inject docker.kill --compose-service worker --signal SIGTERM --yes',
  );
  return lines.join('\n');
}

type Extra = { attrs: Record<string, unknown>; selection: Record<string, string[]>; switches: Set<string>; target: Record<string, Record<string, unknown>> };

/** `--latency 300ms --label app=x` into fault attributes, target selection and driver settings. */
export function parseExtraOptions(args: string[], attributes: readonly AttributeDoc[]): Extra | string {
  const out: Extra = { attrs: {}, selection: {}, switches: new Set(), target: {} };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(a);
    if (!m) return `unexpected argument "${a}" (fault attributes are given as --name value)`;
    const key = m[1]!;
    if (SWITCHES.includes(key) && m[2] === undefined) {
      out.switches.add(key);
      continue;
    }
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
      const v = coerce(value, attributes.find((a) => a.name === name)?.kind);
      out.attrs[name] = name in out.attrs ? [...[out.attrs[name]].flat(), v] : v;
    }
  }
  return out;
}

/** A flag's text as the attribute's kind takes it: numbers and booleans typed, everything else text. */
function coerce(v: string, kind: AttributeKind | undefined): unknown {
  if (kind === 'boolean' && (v === 'true' || v === 'false')) return v === 'true';
  if ((kind === 'number' || kind === 'integer' || kind === undefined) && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
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
