import { execFile, execFileSync } from 'node:child_process';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

let found: { ok: true; path: string } | { ok: false; reason: string } | undefined;

/** Whether a kubectl binary runs here (`kubectl version --client`), and why not. */
export function kubectlAvailable(): { ok: true; path: string } | { ok: false; reason: string } {
  if (found) return found;
  const path = process.env.KUBECTL ?? 'kubectl';
  try {
    execFileSync(path, ['version', '--client'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
    found = { ok: true, path };
  } catch (err) {
    found = { ok: false, reason: `kubectl did not run: ${(err as Error).message.split('\n')[0]}` };
  }
  return found;
}

let minor: number | undefined;

/**
 * kubectl's minor version (Debian's kubernetes-client is 1.20; kubectl 1.25+ leaves field validation to
 * the server and sends fieldValidation=Strict, older ones validate client-side from a protobuf OpenAPI v2
 * document the test server does not serve).
 */
export function kubectlMinor(): number {
  if (minor !== undefined) return minor;
  const k = kubectlAvailable();
  if (!k.ok) return (minor = 0);
  try {
    const out = execFileSync(k.path, ['version', '--client', '-o', 'json'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 }).toString();
    minor = Number.parseInt((JSON.parse(out) as { clientVersion: { minor: string } }).clientVersion.minor, 10);
  } catch {
    minor = 0;
  }
  return minor;
}

/** `apply --dry-run=client` flags: validation off for a kubectl too old to leave it to the server. */
export function clientDryRunFlags(): string[] {
  return kubectlMinor() >= 25 ? ['--dry-run=client'] : ['--dry-run=client', '--validate=false'];
}

/**
 * Skips the calling suite (from a `before` hook) when kubectl is missing, printing why; with
 * FIREBREAK_REQUIRE_KUBECTL=1 (CI) it fails instead, so CI cannot pass by skipping.
 */
export function requireKubectl(ctx: Mocha.Context): void {
  const k = kubectlAvailable();
  if (k.ok) return;
  if (process.env.FIREBREAK_REQUIRE_KUBECTL === '1') throw new Error(`FIREBREAK_REQUIRE_KUBECTL=1 but ${k.reason}`);
  console.log(`      skipping kubectl checks: ${k.reason} (set FIREBREAK_REQUIRE_KUBECTL=1 to fail instead)`);
  ctx.skip();
}

/** Runs kubectl against a kubeconfig (bounded; stdin optional), never throwing on a non-zero exit. */
export function kubectl(kubeconfig: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
  const k = kubectlAvailable();
  if (!k.ok) return Promise.reject(new Error(k.reason));
  return new Promise((resolve, reject) => {
    const child = execFile(k.path, ['--kubeconfig', kubeconfig, '--request-timeout=15s', ...args], { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, KUBECONFIG: kubeconfig } }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code !== 'number' && (err as { killed?: boolean }).killed) return reject(new Error(`kubectl ${args.join(' ')} timed out: ${stderr}`));
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin?.end();
  });
}

/** kubectl ... -o json, parsed; throws with kubectl's stderr on failure. */
export async function kubectlJson<T = any>(kubeconfig: string, args: string[]): Promise<T> {
  const r = await kubectl(kubeconfig, [...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
