import { apiErrors } from './api/errors.js';
import { Proxy, type ProxyDeps, type ProxySettings } from './proxy.js';
import { sameProxy, type ProxyInput } from './proxy-input.js';

/** The server's proxies by name: guards unique names, and applies populate and reset as Toxiproxy does. */
export class ProxyCollection {
  private readonly proxies = new Map<string, Proxy>();

  constructor(private readonly deps: ProxyDeps) {}

  list(): Proxy[] {
    return [...this.proxies.values()];
  }

  find(name: string): Proxy | undefined {
    return this.proxies.get(name);
  }

  get(name: string): Proxy {
    const proxy = this.proxies.get(name);
    if (!proxy) throw apiErrors.proxyNotFound();
    return proxy;
  }

  /** Creates a proxy; it is only added when it started (if enabled). */
  async add(input: ProxyInput): Promise<Proxy> {
    if (this.proxies.has(input.name)) throw apiErrors.proxyAlreadyExists();
    const proxy = this.create(input.name, input.settings);
    if (input.settings.enabled) await proxy.start();
    this.proxies.set(input.name, proxy);
    return proxy;
  }

  async remove(name: string): Promise<void> {
    const proxy = this.get(name);
    this.proxies.delete(name);
    await proxy.stop();
  }

  /**
   * Creates or replaces each proxy; one whose addresses and cohort are unchanged is left untouched. If one
   * fails to start, the proxies this call started are stopped and the ones it replaced are put back.
   */
  async populate(inputs: readonly ProxyInput[]): Promise<Proxy[]> {
    const seen = new Set<string>();
    for (const i of inputs) {
      if (seen.has(i.name)) throw apiErrors.badRequestBody(`duplicate proxy name "${i.name}"`);
      seen.add(i.name);
    }
    const done: { proxy: Proxy; replaced?: Proxy; replacedEnabled: boolean }[] = [];
    const result: Proxy[] = [];
    try {
      for (const input of inputs) {
        const existing = this.proxies.get(input.name);
        if (existing && sameProxy(existing, input)) {
          result.push(existing);
          continue;
        }
        const replacedEnabled = existing?.enabled ?? false;
        if (existing) await existing.stop();
        const proxy = this.create(input.name, input.settings);
        done.push({ proxy, ...(existing ? { replaced: existing } : {}), replacedEnabled });
        if (input.settings.enabled) await proxy.start();
        this.proxies.set(input.name, proxy);
        result.push(proxy);
      }
    } catch (err) {
      await this.rollback(done);
      throw err;
    }
    return result;
  }

  /**
   * `POST /reset`: every proxy enabled and without toxics. A proxy that cannot start (its address taken)
   * does not stop the others: every toxic is removed everywhere, and the failures are returned.
   */
  async reset(): Promise<{ proxy: string; error: string }[]> {
    const failed: { proxy: string; error: string }[] = [];
    for (const proxy of this.proxies.values()) {
      proxy.resetToxics();
      try {
        await proxy.start();
      } catch (err) {
        failed.push({ proxy: proxy.name, error: (err as Error).message });
      }
    }
    return failed;
  }

  /** Stops every proxy and waits for their connections to close. */
  async shutdown(): Promise<void> {
    const all = [...this.proxies.values()];
    this.proxies.clear();
    await Promise.all(all.map((p) => p.shutdown()));
  }

  private create(name: string, settings: ProxySettings): Proxy {
    return new Proxy(name, settings, this.deps);
  }

  private async rollback(done: { proxy: Proxy; replaced?: Proxy; replacedEnabled: boolean }[]): Promise<void> {
    for (const step of done.reverse()) {
      await step.proxy.stop();
      if (step.replaced) {
        this.proxies.set(step.proxy.name, step.replaced);
        if (step.replacedEnabled) await step.replaced.start().catch((err: unknown) => this.deps.logger.error({ err, proxy: step.proxy.name }, 'could not restart a proxy populate replaced'));
      } else {
        this.proxies.delete(step.proxy.name);
      }
    }
  }
}
