import { CAUSES, causesIn, explainError } from './util/cause.js';

/**
 * The one catalogue of firebreak's coded errors. docs/errors.md documents every code, and a test keeps the
 * two in sync. Add a code here and a row there, together.
 */
export const ERRORS = {
  FIREBREAK_E_INVALID: { exit: 64, summary: 'The experiment, probe file or variables are invalid; nothing was touched.', hint: 'Fix the fields named in the messages; `firebreak validate` checks without running.' },
  FIREBREAK_E_USAGE: { exit: 64, summary: 'The command line is wrong (unknown option, missing argument).', hint: 'See `firebreak <command> --help`.' },
  FIREBREAK_E_UNKNOWN_TYPE: { exit: 64, summary: 'A fault, probe or driver type is not registered; the message lists the known ones.', hint: 'Use one of the listed types, or register the driver that provides it.' },
  FIREBREAK_E_VARIABLE: { exit: 64, summary: 'A ${name} reference has no value from --var, --var-file, the environment or configuration.', hint: 'Pass `--var name=value`, a `--var-file`, set it in `configuration`, or export it.' },
  FIREBREAK_E_PLAN: { exit: 4, summary: 'Planning failed: no target matched, the blast radius was exceeded, or a protected target was selected.', hint: 'Check the selector (try `--dry-run`).' },
  FIREBREAK_E_BLAST_RADIUS: { exit: 4, summary: 'The selection would touch more targets than max blast radius allows; nothing was touched.', hint: 'Narrow the selector or mode, or raise `maxBlastRadius` deliberately.' },
  FIREBREAK_E_DRIVER_UNREACHABLE: { exit: 4, summary: 'A driver (proxy, Docker engine, Kubernetes API) did not answer at plan time.', hint: 'Start the system or point the driver at it (`target.<driver>`, `DOCKER_HOST`, kubeconfig).' },
  FIREBREAK_E_LEDGER_LOCKED: { exit: 4, summary: 'Another run holds the ledger lock.', hint: 'Wait for the other run, or use another `--ledger`. A lock whose holder is provably gone (its process, or its boot, no longer exists) is taken over at once; one held on another host or in another container is taken over when its lease runs out (30 s without a heartbeat; see ARCHITECTURE.md, "The ledger lock").' },
  FIREBREAK_E_LEDGER_DIRTY: { exit: 4, summary: 'The ledger holds faults applied and not reverted; run `firebreak recover` first.', hint: 'Run `firebreak recover`.' },
  FIREBREAK_E_LEDGER_CORRUPT: { exit: 4, summary: 'A ledger line could not be parsed; the line number is given.', hint: 'Run `firebreak recover`: it reverts every entry it can read, reports the unparsable line and records that it saw it; a run refuses a ledger with an unparsable line no `recover` has reported.' },
  FIREBREAK_E_LEDGER_WRITE: { exit: 4, summary: 'A ledger line could not be written (disk full, short write); a fault whose intent was not written is not applied.', hint: 'Free space next to the ledger. A fault reverted but not ledgered is shown as `reverted, not ledgered`: run `firebreak recover` (it reverts again, harmlessly, and closes the entry).' },
  FIREBREAK_E_LEDGER_UNWRITABLE: { exit: 4, summary: 'The ledger\'s directory cannot be written (read-only file system or permissions).', hint: 'Point `--ledger` (or `FIREBREAK_LEDGER`) at a writable place.' },
  FIREBREAK_E_TARGET_BUSY: { exit: 4, summary: 'Another run holds a claim on the target (a fault of its own there); nothing was applied to it.', hint: 'Wait for the other run; if it died, run `firebreak recover` on its ledger (named in the message); on Kubernetes a claim whose run died expires, and `firebreak recover --sweep` removes it.' },
  FIREBREAK_E_SECRET: { exit: 4, summary: 'A secret a revert needs could not be resolved again from its source; that fault was not reverted.', hint: 'Make the secret\'s source available (export the variable, restore the file, or pass `--var`) and run `firebreak recover` again.' },
  FIREBREAK_E_APPLY: { exit: 4, summary: 'A fault could not be applied; every fault applied before it was reverted.', hint: 'Read the cause; the journal shows which fault and target.' },
  FIREBREAK_E_REVERT: { exit: 4, summary: 'A fault could not be reverted after retries; it stays in the ledger for `firebreak recover`.', hint: 'Fix what blocks the revert, then run `firebreak recover`.' },
  FIREBREAK_E_PROBE: { exit: 4, summary: 'A probe could not run (as opposed to running and measuring a deviation).', hint: 'Check the probe definition (URL, command, query) and that the system it measures runs and answers.' },
  FIREBREAK_E_TIMEOUT: { exit: 4, summary: 'An external call or phase exceeded its time limit.', hint: 'Raise `phases.callTimeout` if the system is slow, or find out why it hangs.' },
  FIREBREAK_E_RECOVER_INCOMPLETE: { exit: 4, summary: '`firebreak recover` could not revert every open ledger entry.', hint: 'Fix the reported cause and run `firebreak recover` again.' },
  FIREBREAK_E_INTERRUPTED: { exit: 130, summary: 'The run was interrupted by SIGINT, SIGTERM, SIGHUP or SIGQUIT; faults were reverted.', hint: 'Nothing: every fault was reverted.' },
  FIREBREAK_E_PROXY: { exit: 4, summary: 'The proxy API refused a request (see the HTTP status and message).', hint: 'Read the proxy\'s message after the HTTP status: a 404 names a proxy or toxic that does not exist; an address in use needs another listen port, or the process that holds it stopped.' },
  FIREBREAK_E_DOCKER: { exit: 4, summary: 'The Docker engine refused a request or could not be reached.', hint: 'Read the engine\'s message after the HTTP status: a 404 is a container that no longer exists, a 409 one in another state than the fault expects.' },
  FIREBREAK_E_KUBERNETES: { exit: 4, summary: 'The Kubernetes API refused a request or could not be reached.', hint: 'Read the API server\'s message.' },
  FIREBREAK_E_KUBERNETES_FORBIDDEN: { exit: 4, summary: 'The Kubernetes API denied a verb on a resource (RBAC); the message names the verb, the resource and the namespace.', hint: 'Grant that verb in firebreak\'s Role (`deploy/rbac.yaml`, [docs/kubernetes.md](kubernetes.md) lists what each fault needs), or use another context.' },
  FIREBREAK_E_KUBERNETES_NAMESPACE: { exit: 4, summary: 'A namespace the experiment names does not exist, or is outside the target.kubernetes.namespaces allow-list; nothing was touched.', hint: 'Fix the namespace, or add it to `target.kubernetes.namespaces` deliberately.' },
  FIREBREAK_E_DISRUPTION_BUDGET: { exit: 4, summary: 'The selected pods cannot be disrupted without breaking a PodDisruptionBudget; nothing was touched.', hint: 'Select fewer pods, wait until the workload is healthy, or set `ignoreDisruptionBudgets: true` on the fault deliberately.' },
  FIREBREAK_E_INTERNAL: { exit: 4, summary: 'A bug in firebreak: please report it with the journal.', hint: 'Report it with the journal.' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/**
 * What to do about an error, one line each: the hints of the causes its text names (`ECONNREFUSED`,
 * `EADDRINUSE`, TLS), then its code's line from the catalogue (docs/errors.md, "what to do").
 */
export function hintLines(code: string | undefined, text: string): string[] {
  const lines: string[] = causesIn(text).map((c) => CAUSES[c].hint);
  if (code && code in ERRORS) lines.push(ERRORS[code as ErrorCode].hint);
  return lines;
}

export class FirebreakError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FirebreakError';
    this.code = code;
    this.exitCode = ERRORS[code].exit;
    this.details = options?.details;
  }
}

export function isFirebreakError(err: unknown, code?: ErrorCode): err is FirebreakError {
  return err instanceof FirebreakError && (code === undefined || err.code === code);
}

/**
 * A plain, JSON-safe description of any thrown value, keeping the cause chain; its message is one
 * readable line down that chain (`fetch failed` becomes `ECONNREFUSED 127.0.0.1:8474 (connection refused)`).
 */
export function describeError(err: unknown): { name: string; message: string; code?: string; cause?: unknown } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      message: explainError(err),
      ...(typeof code === 'string' ? { code } : {}),
      ...(err.cause !== undefined ? { cause: describeError(err.cause) } : {}),
    };
  }
  return { name: 'Error', message: String(err) };
}

/** Exit codes for verdicts, the CLI's contract (README "Exit codes"). */
export const EXIT = {
  held: 0,
  valid: 0,
  planned: 0,
  deviated: 1,
  aborted: 2,
  'not-steady': 3,
  failed: 4,
  inconclusive: 5,
  /** A suite whose expectations were not all met (a verdict outside `expect`, an error, a halt). */
  gate: 6,
  interrupted: 130,
  invalid: 64,
} as const;
