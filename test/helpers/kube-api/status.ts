/** A failure the server answers with a `Status` object, as the real API server does. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  toStatus(): object {
    return status(this.code, this.reason, this.message, this.details);
  }
}

export function status(code: number, reason: string, message: string, details?: Record<string, unknown>): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: code < 400 ? 'Success' : 'Failure', message, ...(reason ? { reason } : {}), ...(details ? { details } : {}), code };
}

/** `pods "web-0" not found`, `deployments.apps "web" not found`. */
export function qualified(plural: string, group: string): string {
  return group ? `${plural}.${group}` : plural;
}

export function notFound(plural: string, group: string, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(plural, group)} "${name}" not found`, { name, ...(group ? { group } : {}), kind: plural });
}

export function alreadyExists(plural: string, group: string, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(plural, group)} "${name}" already exists`, { name, ...(group ? { group } : {}), kind: plural });
}

export function conflict(plural: string, group: string, name: string, why: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(plural, group)} "${name}": ${why}`, { name, ...(group ? { group } : {}), kind: plural });
}

export function invalid(kind: string, group: string, name: string, causes: { field: string; message: string; reason?: string }[]): ApiError {
  const text = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  return new ApiError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${text}`, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
  });
}
