import { randomUUID } from 'node:crypto';
import { collectIssues } from '../../../src/experiment/issues.js';
import type { FaultContext } from '../../../src/faults/types.js';
import { silentLogger } from '../../../src/log.js';
import { proxyDriver, type ProxyConnection, type ProxyDriverConfig } from '../../../src/drivers/proxy/index.js';

export const callCtx = () => ({ signal: AbortSignal.timeout(15_000), logger: silentLogger(), timeoutMs: 5000 });

/** Validates a driver config the way the engine does, failing the test on issues. */
export function config(raw: Record<string, unknown>): ProxyDriverConfig {
  const issues = collectIssues();
  const c = proxyDriver.parseConfig(raw, issues);
  if (!c) throw new Error(`config invalid: ${JSON.stringify(issues.issues)}`);
  return c;
}

export function connectDriver(raw: Record<string, unknown>): Promise<ProxyConnection> {
  return proxyDriver.connect(config(raw), callCtx());
}

export function faultCtx(connection: ProxyConnection, instanceId = randomUUID().slice(0, 8)): FaultContext<ProxyConnection> {
  return { signal: AbortSignal.timeout(15_000), logger: silentLogger(), runId: 'run-test', instanceId, timeoutMs: 5000, connection };
}

/** Parses fault attributes, failing the test on issues. */
export function parsed<A>(fault: { parse(a: Record<string, unknown>, i: ReturnType<typeof collectIssues>): A | undefined }, attrs: Record<string, unknown>): A {
  const issues = collectIssues();
  const a = fault.parse(attrs, issues);
  if (!a) throw new Error(`attributes invalid: ${JSON.stringify(issues.issues)}`);
  return a;
}

/** Issues (path and message) that parsing these attributes reports. */
export function issuesOf(fault: { parse(a: Record<string, unknown>, i: ReturnType<typeof collectIssues>): unknown }, attrs: Record<string, unknown>): { path: string; message: string }[] {
  const issues = collectIssues();
  fault.parse(attrs, issues);
  return issues.issues.map((i) => ({ path: i.path, message: i.message }));
}
