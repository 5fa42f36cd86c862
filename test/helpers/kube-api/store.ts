import { randomUUID } from 'node:crypto';

/** An object as the server keeps it: `metadata` always there; kind and apiVersion stamped on the way out. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: Metadata;
  [key: string]: any;
}

export interface Metadata {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  creationTimestamp: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
  generateName?: string;
  finalizers?: string[];
  [key: string]: unknown;
}

/** An object not stored yet: the server fills uid, resourceVersion and creationTimestamp. */
export interface Draft {
  metadata: Partial<Metadata>;
  [key: string]: any;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  type: EventType;
  group: string;
  plural: string;
  rv: number;
  object: KubeObject;
}

/** Seconds-precision timestamps, as metav1.Time serializes. */
export function now(ms = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

/**
 * The server's storage, like etcd behind the API server: one global, increasing resourceVersion;
 * every change is kept in a bounded history that watches replay from a resourceVersion, and a
 * resourceVersion older than the history is "too old" (410 Gone for the watch).
 */
export class Store {
  private rv = 1000;
  private readonly objects = new Map<string, KubeObject>();
  private history: Change[] = [];
  /** Watches may start at any resourceVersion >= this. */
  private oldest = 1000;
  private readonly listeners = new Set<(c: Change) => void>();
  /** Creation order by uid (timestamps have whole seconds only). */
  private readonly created = new Map<string, number>();
  private createSeq = 0;

  constructor(private readonly historyLimit = 5000) {}

  /** When an object was created, relative to the others (a higher number is newer). */
  creationOrder(uid: string): number {
    return this.created.get(uid) ?? 0;
  }

  get resourceVersion(): string {
    return String(this.rv);
  }

  get oldestWatchable(): number {
    return this.oldest;
  }

  private key(group: string, plural: string, ns: string | undefined, name: string): string {
    return `${group}|${plural}|${ns ?? ''}|${name}`;
  }

  get(group: string, plural: string, ns: string | undefined, name: string): KubeObject | undefined {
    const o = this.objects.get(this.key(group, plural, ns, name));
    return o && structuredClone(o);
  }

  list(group: string, plural: string, ns?: string): KubeObject[] {
    const prefix = `${group}|${plural}|`;
    const out: KubeObject[] = [];
    for (const [k, o] of this.objects) {
      if (!k.startsWith(prefix)) continue;
      if (ns !== undefined && o.metadata.namespace !== ns) continue;
      out.push(structuredClone(o));
    }
    return out.sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name));
  }

  /** Stores a new object: uid, resourceVersion, creationTimestamp, generation are set here. */
  create(group: string, plural: string, obj: Draft, opts: { generation?: boolean; dryRun?: boolean } = {}): KubeObject {
    const o = structuredClone(obj) as KubeObject;
    o.metadata.uid = randomUUID();
    o.metadata.creationTimestamp = now();
    this.created.set(o.metadata.uid, ++this.createSeq);
    if (opts.generation) o.metadata.generation = 1;
    delete o.metadata.deletionTimestamp;
    if (opts.dryRun) {
      o.metadata.resourceVersion = '';
      return o;
    }
    return this.commit('ADDED', group, plural, o);
  }

  /** Replaces a stored object (same key), bumping its resourceVersion. */
  update(group: string, plural: string, obj: KubeObject, opts: { dryRun?: boolean } = {}): KubeObject {
    const o = structuredClone(obj);
    if (opts.dryRun) return o;
    return this.commit('MODIFIED', group, plural, o);
  }

  remove(group: string, plural: string, ns: string | undefined, name: string): KubeObject | undefined {
    const k = this.key(group, plural, ns, name);
    const o = this.objects.get(k);
    if (!o) return undefined;
    this.objects.delete(k);
    const gone = structuredClone(o);
    this.rv++;
    gone.metadata.resourceVersion = String(this.rv);
    this.record({ type: 'DELETED', group, plural, rv: this.rv, object: gone });
    return structuredClone(gone);
  }

  private commit(type: EventType, group: string, plural: string, o: KubeObject): KubeObject {
    this.rv++;
    o.metadata.resourceVersion = String(this.rv);
    this.objects.set(this.key(group, plural, o.metadata.namespace, o.metadata.name), o);
    this.record({ type, group, plural, rv: this.rv, object: structuredClone(o) });
    return structuredClone(o);
  }

  private record(c: Change): void {
    this.history.push(c);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.oldest = dropped[dropped.length - 1]!.rv;
    }
    for (const l of this.listeners) l(c);
  }

  /** Changes after `rv` of one resource, or 'expired' when the history no longer reaches back that far. */
  changesSince(rv: number, group: string, plural: string): Change[] | 'expired' {
    if (rv < this.oldest) return 'expired';
    return this.history.filter((c) => c.rv > rv && c.group === group && c.plural === plural).map((c) => structuredClone(c));
  }

  /** Forgets the history, as an etcd compaction does: watches from an older resourceVersion get 410 Gone. */
  compact(): void {
    this.history = [];
    this.oldest = this.rv;
  }

  subscribe(listener: (c: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
