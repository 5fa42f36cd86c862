import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { FirebreakError } from '../../errors.js';
import { silentLogger } from '../../log.js';
import type { IntervalByCohort, SignalSource } from '../../signals/types.js';
import type { LoadAttrs } from './attrs.js';
import type { LoadTotals } from './generator.js';
import { attrsToWire, intervalsFromWire, type ToWorker } from './wire.js';

/** How long one message to the generator's thread may take before the call fails. */
const CALL_TIMEOUT_MS = 10_000;

// Starts the worker module: from the TypeScript sources through tsx in a checkout, compiled otherwise.
const BOOT = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.module);
})().catch((err) => { process.nextTick(() => { throw err; }); });
`;

/** Running from the TypeScript sources: the URL of tsx's ESM API, for the worker to register itself with. */
function tsxLoader(): string {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('tsx/package.json'));
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dir, pkg.exports['./esm/api']!.import.default)).href;
}

/**
 * The load generator in a thread of its own (see worker.ts), as a signal source for the engine. The
 * engine's thread also runs the embedded proxy, and often the system under test: sharing its event
 * loop, the generator's sends left late whenever they were busy, and every late send is latency the
 * generator adds itself.
 */
export class ThreadedLoadGenerator implements SignalSource {
  readonly name: string;
  readonly warmupMs: number;
  private worker: Worker | undefined;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  private logger: Logger;
  private failure: Error | undefined;

  constructor(private readonly attrs: LoadAttrs, opts: { name?: string; logger?: Logger } = {}) {
    this.name = opts.name ?? 'load';
    this.warmupMs = attrs.warmupMs ?? 0;
    this.logger = opts.logger ?? silentLogger();
  }

  async start(ctx: { signal: AbortSignal; logger: Logger }): Promise<void> {
    this.logger = ctx.logger;
    const module = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url).href;
    const tsx = module.endsWith('.ts') ? tsxLoader() : undefined;
    const worker = new Worker(BOOT, { eval: true, workerData: { module, tsx, attrs: attrsToWire(this.attrs), name: this.name } });
    this.worker = worker;
    worker.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      clearTimeout(w.timer);
      if (m.ok) w.resolve(m.result);
      else w.reject(new FirebreakError('FIREBREAK_E_PROBE', `load generator ${this.name}: ${m.error}`));
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`its thread exited (code ${code})`)));
    worker.unref();
    ctx.signal.addEventListener('abort', () => void this.call('halt').catch(() => undefined), { once: true });
    await this.call('start');
    this.logger.debug({ probe: this.name, url: this.attrs.url.origin, rate: this.attrs.rate }, 'load generator started in its own thread');
  }

  async collect(): Promise<IntervalByCohort> {
    return intervalsFromWire((await this.call('collect')) as Parameters<typeof intervalsFromWire>[0]);
  }

  beginWindow(): void {
    void this.call('beginWindow').catch((err: unknown) => this.logger.warn({ probe: this.name, err }, 'could not start a window in the load generator'));
  }

  endWindow(): void {
    void this.call('endWindow').catch((err: unknown) => this.logger.warn({ probe: this.name, err }, 'could not end a window in the load generator'));
  }

  get drainMs(): number {
    return this.attrs.timeoutMs + 250;
  }

  async stop(): Promise<void> {
    if (!this.worker) return;
    try {
      const stats = (await this.call('stop', 15_000)) as LoadTotals;
      this.logger.debug({ probe: this.name, ...stats }, 'load generator stopped');
    } finally {
      const w = this.worker;
      this.worker = undefined;
      w.removeAllListeners('exit');
      await w.terminate();
    }
  }

  private call(op: ToWorker['op'], timeoutMs = CALL_TIMEOUT_MS): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.worker;
    if (!worker) return Promise.reject(new FirebreakError('FIREBREAK_E_PROBE', `load generator ${this.name} is not running`));
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new FirebreakError('FIREBREAK_E_TIMEOUT', `load generator ${this.name} did not answer ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      worker.postMessage({ id, op } satisfies ToWorker);
    });
  }

  private fail(err: Error): void {
    if (!this.worker) return;
    this.failure = new FirebreakError('FIREBREAK_E_PROBE', `load generator ${this.name} failed: ${err.message}`, { cause: err });
    this.logger.error({ probe: this.name, err: err.message }, 'load generator thread failed');
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(this.failure);
      this.waiting.delete(id);
    }
  }
}
