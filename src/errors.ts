/**
 * The one catalogue of firebreak's coded errors. docs/errors.md documents every code, and a test keeps the
 * two in sync. Add a code here and a row there, together.
 */
export const ERRORS = {
  FIREBREAK_E_INVALID: { exit: 64, summary: 'The experiment, probe file or variables are invalid; nothing was touched.' },
  FIREBREAK_E_USAGE: { exit: 64, summary: 'The command line is wrong (unknown option, missing argument).' },
  FIREBREAK_E_UNKNOWN_TYPE: { exit: 64, summary: 'A fault, probe or driver type is not registered; the message lists the known ones.' },
  FIREBREAK_E_VARIABLE: { exit: 64, summary: 'A ${name} reference has no value from --var, --var-file, the environment or configuration.' },
  FIREBREAK_E_PLAN: { exit: 4, summary: 'Planning failed: no target matched, the blast radius was exceeded, or a protected target was selected.' },
  FIREBREAK_E_BLAST_RADIUS: { exit: 4, summary: 'The selection would touch more targets than max blast radius allows; nothing was touched.' },
  FIREBREAK_E_DRIVER_UNREACHABLE: { exit: 4, summary: 'A driver (proxy, Docker engine, Kubernetes API) did not answer at plan time.' },
  FIREBREAK_E_LEDGER_LOCKED: { exit: 4, summary: 'Another run holds the ledger lock.' },
  FIREBREAK_E_LEDGER_DIRTY: { exit: 4, summary: 'The ledger holds faults applied and not reverted; run `firebreak recover` first.' },
  FIREBREAK_E_LEDGER_CORRUPT: { exit: 4, summary: 'A ledger line could not be parsed; the line number is given.' },
  FIREBREAK_E_LEDGER_WRITE: { exit: 4, summary: 'A ledger line could not be written (disk full, short write); a fault whose intent was not written is not applied.' },
  FIREBREAK_E_LEDGER_UNWRITABLE: { exit: 4, summary: 'The ledger\'s directory cannot be written (read-only file system or permissions).' },
  FIREBREAK_E_TARGET_BUSY: { exit: 4, summary: 'Another run holds a claim on the target (a fault of its own there); nothing was applied to it.' },
  FIREBREAK_E_SECRET: { exit: 4, summary: 'A secret a revert needs could not be resolved again from its source; that fault was not reverted.' },
  FIREBREAK_E_APPLY: { exit: 4, summary: 'A fault could not be applied; every fault applied before it was reverted.' },
  FIREBREAK_E_REVERT: { exit: 4, summary: 'A fault could not be reverted after retries; it stays in the ledger for `firebreak recover`.' },
  FIREBREAK_E_PROBE: { exit: 4, summary: 'A probe could not run (as opposed to running and measuring a deviation).' },
  FIREBREAK_E_TIMEOUT: { exit: 4, summary: 'An external call or phase exceeded its time limit.' },
  FIREBREAK_E_RECOVER_INCOMPLETE: { exit: 4, summary: '`firebreak recover` could not revert every open ledger entry.' },
  FIREBREAK_E_INTERRUPTED: { exit: 130, summary: 'The run was interrupted by SIGINT, SIGTERM, SIGHUP or SIGQUIT; faults were reverted.' },
  FIREBREAK_E_PROXY: { exit: 4, summary: 'The proxy API refused a request (see the HTTP status and message).' },
  FIREBREAK_E_DOCKER: { exit: 4, summary: 'The Docker engine refused a request or could not be reached.' },
  FIREBREAK_E_KUBERNETES: { exit: 4, summary: 'The Kubernetes API refused a request or could not be reached.' },
  FIREBREAK_E_KUBERNETES_FORBIDDEN: { exit: 4, summary: 'The Kubernetes API denied a verb on a resource (RBAC); the message names the verb, the resource and the namespace.' },
  FIREBREAK_E_KUBERNETES_NAMESPACE: { exit: 4, summary: 'A namespace the experiment names does not exist, or is outside the target.kubernetes.namespaces allow-list; nothing was touched.' },
  FIREBREAK_E_DISRUPTION_BUDGET: { exit: 4, summary: 'The selected pods cannot be disrupted without breaking a PodDisruptionBudget; nothing was touched.' },
  FIREBREAK_E_INTERNAL: { exit: 4, summary: 'A bug in firebreak: please report it with the journal.' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

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

/** A plain, JSON-safe description of any thrown value, keeping the cause chain. */
export function describeError(err: unknown): { name: string; message: string; code?: string; cause?: unknown } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      message: err.message,
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
