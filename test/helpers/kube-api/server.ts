import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { Cluster, isReady, ANNOTATIONS, DEFAULT_CLUSTER, type ClusterOptions } from './cluster.js';
import { fieldProblems, openApiDocument, openApiIndex } from './openapi.js';
import { jsonPatch, mergePatch, strategicMergePatch, deepEqual } from './patch.js';
import { Authorizer, type Attributes, type DenyRule } from './rbac.js';
import { apiVersionOf, findResource, groupList, groupOf, groupVersions, resourceList, RESOURCES, VERSION, type ResourceDef } from './resources.js';
import { fromLabelSelector, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, selectorString } from './selectors.js';
import { alreadyExists, ApiError, conflict, invalid, notFound, status } from './status.js';
import { now, randomSuffix, Store, type KubeObject } from './store.js';
import { testPki } from './tls.js';
import { decodeAccessReview } from './protobuf.js';

export interface KubeApiOptions {
  /** Serve TLS with the test CA (default), or plain HTTP. */
  tls?: boolean;
  cluster?: Partial<ClusterOptions>;
  /** Serve metrics.k8s.io (default true). */
  metrics?: boolean;
  /** Extra bearer tokens and the user each authenticates as. */
  tokens?: Record<string, string>;
  /** Namespaces created at start (default: default, kube-system). */
  namespaces?: string[];
}

/** One request as the server saw it, for tests that check what a client sent. */
export interface SeenRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  user?: string;
  verb?: string;
  contentType?: string;
  body?: unknown;
  status: number;
}

export const ADMIN_TOKEN = 'kube-api-test-admin';
const ADMIN_USER = 'kubernetes-admin';
const MAX_BODY = 8 * 1024 * 1024;
const MAX_SEEN = 4000;

/**
 * A Kubernetes API server for tests, on node:http(s): the real REST paths, discovery documents, JSON
 * shapes and Status errors, watches with resourceVersions, the three patch types, the scale and
 * eviction subresources, RBAC, and a small simulated cluster (see cluster.ts). kubectl works against
 * it, which keeps it honest.
 */
export class KubeApiServer {
  readonly store = new Store();
  readonly cluster: Cluster;
  readonly authz: Authorizer;
  readonly seen: SeenRequest[] = [];
  private server!: Server;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<() => void>();
  private readonly tokens = new Map<string, string>();
  private readonly disabledGroups = new Set<string>();
  private hanging = false;
  /** Called for each request before it is handled: a test can change the store in between, as another client would. */
  onRequest: ((r: SeenRequest) => void) | undefined;
  private readonly held = new Set<ServerResponse>();
  url = '';
  readonly tls: boolean;

  constructor(private readonly options: KubeApiOptions = {}) {
    this.tls = options.tls !== false;
    this.tokens.set(ADMIN_TOKEN, ADMIN_USER);
    for (const [t, u] of Object.entries(options.tokens ?? {})) this.tokens.set(t, u);
    if (options.metrics === false) this.disabledGroups.add('metrics.k8s.io');
    this.cluster = new Cluster(this.store, { ...DEFAULT_CLUSTER, ...options.cluster });
    this.authz = new Authorizer(this.store, new Set([ADMIN_USER]));
    for (const ns of options.namespaces ?? ['default', 'kube-system']) this.createNamespace(ns);
  }

  async listen(): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res);
    if (this.tls) {
      const pki = testPki();
      this.server = createHttpsServer({ cert: pki.cert, key: pki.key }, handler);
    } else this.server = createHttpServer(handler);
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('secureConnection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `${this.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    this.cluster.close();
    for (const stop of this.watches) stop();
    for (const res of this.held) res.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** While on, requests are read and never answered: for timeouts. */
  hang(on: boolean): void {
    this.hanging = on;
    if (!on) {
      for (const res of this.held) res.destroy();
      this.held.clear();
    }
  }

  /** A bearer token that authenticates as a service account (RBAC applies to it). */
  tokenFor(namespace: string, serviceAccount: string): string {
    const token = `sa-${namespace}-${serviceAccount}-${randomSuffix(8)}`;
    this.tokens.set(token, `system:serviceaccount:${namespace}:${serviceAccount}`);
    return token;
  }

  /** Denies one verb on one resource (for everyone unless `user` is given): answers 403 as RBAC would. */
  deny(rule: DenyRule): void {
    this.authz.denials.push(rule);
  }

  allowAll(): void {
    this.authz.denials.length = 0;
  }

  createNamespace(name: string): KubeObject {
    return this.store.get('', 'namespaces', undefined, name) ?? this.store.create('', 'namespaces', { metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  }

  /** Creates (or replaces) objects as the admin would, from their manifests (kind and apiVersion required). */
  apply(...manifests: object[]): KubeObject[] {
    return manifests.map((m) => {
      const obj = structuredClone(m) as KubeObject;
      const [group, version] = splitApiVersion(String(obj.apiVersion));
      const def = findResource(group, version, pluralOf(group, String(obj.kind)));
      if (!def) throw new Error(`the test server does not serve ${obj.apiVersion} ${obj.kind}`);
      const ns = def.namespaced ? (obj.metadata.namespace ?? 'default') : undefined;
      if (ns) obj.metadata.namespace = ns;
      validate(def, obj);
      delete obj.apiVersion;
      delete obj.kind;
      const existing = this.store.get(def.group, def.plural, ns, obj.metadata.name);
      if (existing) {
        obj.metadata = { ...existing.metadata, ...obj.metadata, uid: existing.metadata.uid, creationTimestamp: existing.metadata.creationTimestamp };
        return this.store.update(def.group, def.plural, obj);
      }
      return this.store.create(def.group, def.plural, obj, { generation: hasGeneration(def) });
    });
  }

  /** Records an event about an object (for probes of Warning events: OOMKilled, BackOff, Evicted). */
  recordEvent(about: KubeObject, kind: string, type: 'Normal' | 'Warning', reason: string, message: string): KubeObject {
    return this.cluster.event(about, kind, type, reason, message, 'kubelet');
  }

  // ---- request handling -------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    const seen: SeenRequest = { method: req.method ?? 'GET', path: url.pathname, query, status: 0 };
    const contentType = req.headers['content-type'];
    if (contentType) seen.contentType = contentType.split(';')[0]!.trim();
    this.seen.push(seen);
    if (this.seen.length > MAX_SEEN) this.seen.splice(0, this.seen.length - MAX_SEEN);
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (err) {
      return this.send(res, seen, (err as ApiError).code ?? 400, (err as ApiError).toStatus?.() ?? status(400, 'BadRequest', String(err)));
    }
    if (this.hanging) {
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return;
    }
    try {
      const user = this.authenticate(req);
      seen.user = user;
      const body = raw.length ? parseBody(raw, seen.contentType) : undefined;
      seen.body = body;
      this.onRequest?.(seen);
      await this.route(req, res, url, user, body, seen);
    } catch (err) {
      if (err instanceof ApiError) return this.send(res, seen, err.code, err.toStatus());
      this.send(res, seen, 500, status(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`));
    }
  }

  private authenticate(req: IncomingMessage): string {
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    const user = m ? this.tokens.get(m[1]!.trim()) : undefined;
    if (!user) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    return user;
  }

  private send(res: ServerResponse, seen: SeenRequest, code: number, body: unknown): void {
    seen.status = code;
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private', 'X-Kubernetes-Pf-Flowschema-Uid': 'test' });
    res.end(text);
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, user: string, body: unknown, seen: SeenRequest): Promise<void> {
    const segs = url.pathname.split('/').filter(Boolean);
    const method = req.method ?? 'GET';
    const ok = (code: number, value: unknown): void => this.send(res, seen, code, value);
    if (segs[0] === 'version' && segs.length === 1) return ok(200, VERSION);
    if (segs[0] === 'openapi' && segs[1] === 'v3') {
      const doc = segs.length === 2 ? await openApiIndex(this.disabledGroups) : await openApiDocument(segs.slice(2).join('/'));
      if (!doc) throw notServed();
      return ok(200, doc);
    }
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api') {
      if (segs.length === 1) return ok(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: new URL(this.url).host }] });
      if (segs[1] !== 'v1') throw notServed();
      group = '';
      version = 'v1';
      if (segs.length === 2) return ok(200, resourceList('', 'v1'));
      rest = segs.slice(2);
    } else if (segs[0] === 'apis') {
      if (segs.length === 1) return ok(200, groupList(this.disabledGroups));
      group = segs[1]!;
      if (this.disabledGroups.has(group)) throw notServed();
      const versions = groupVersions(group);
      if (versions.length === 0) throw notServed();
      if (segs.length === 2) return ok(200, groupOf(group, versions));
      version = segs[2]!;
      if (!versions.includes(version)) throw notServed();
      if (segs.length === 3) return ok(200, resourceList(group, version));
      rest = segs.slice(3);
    } else throw notServed();

    let ns: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && !['status', 'finalize'].includes(rest[2]!)) {
      ns = decodeURIComponent(rest[1]!);
      rest = rest.slice(2);
    }
    if (rest.length > 3) throw notServed();
    const [plural, rawName, sub] = rest;
    const def = findResource(group, version, plural!);
    const name = rawName === undefined ? undefined : decodeURIComponent(rawName);
    if (!def || (def.namespaced && name !== undefined && ns === undefined) || (!def.namespaced && ns !== undefined)) throw notServed();
    if (sub !== undefined && !(def.subresources ?? []).some((s) => s.name === sub)) throw notServed();
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const verb = verbOf(method, name !== undefined, watch);
    seen.verb = verb;
    const attrs: Attributes = { user, verb, group, resource: sub ? `${plural}/${sub}` : plural!, ...(ns !== undefined ? { namespace: ns } : {}), ...(name !== undefined ? { name } : {}) };
    this.authz.check(attrs);
    if (!def.verbs.includes(verb) && sub === undefined) throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    const dryRun = url.searchParams.get('dryRun') === 'All' || (body as { dryRun?: string[] } | undefined)?.dryRun?.includes('All') === true;
    const ctx: Ctx = { def, version, ns, name, url, body, dryRun, contentType: seen.contentType, accept: String(req.headers.accept ?? '') };

    if (def.plural === 'selfsubjectaccessreviews') return ok(201, this.accessReview(user, ctx));
    if (def.virtual) return ok(200, this.metrics(ctx));
    if (sub === 'scale') return ok(200, this.scale(method, ctx));
    if (sub === 'eviction') {
      if (method !== 'POST') throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      this.evict(ctx);
      return ok(201, status(201, '', ''));
    }
    if (sub === 'status') return ok(200, this.status(method, ctx));
    switch (verb) {
      case 'get':
        return ok(200, asTable(ctx, [this.get(ctx)], true));
      case 'list': {
        const list = this.list(ctx);
        return ok(200, asTable(ctx, list.items, false, list));
      }
      case 'watch':
        return this.watch(ctx, req, res, seen);
      case 'create':
        return ok(201, await this.create(ctx, res));
      case 'update':
        return ok(200, await this.update(ctx, res));
      case 'patch':
        return ok(200, await this.patch(ctx, res));
      case 'delete':
        return ok(200, this.delete(ctx));
      case 'deletecollection':
        return ok(200, this.deleteCollection(ctx));
    }
    throw notServed();
  }

  private requireNamespace(ns: string | undefined): void {
    if (ns !== undefined && !this.store.get('', 'namespaces', undefined, ns)) throw notFound('namespaces', '', ns);
  }

  private get(c: Ctx): KubeObject {
    const o = this.store.get(c.def.group, c.def.plural, c.ns, c.name!);
    if (!o) throw notFound(c.def.plural, c.def.group, c.name!);
    return stamp(c, o);
  }

  private list(c: Ctx): { kind: string; apiVersion: string; metadata: Record<string, unknown>; items: KubeObject[] } {
    const labels = parseLabelSelector(c.url.searchParams.get('labelSelector'));
    const fields = parseFieldSelector(c.url.searchParams.get('fieldSelector'), c.def.plural);
    let items = this.store.list(c.def.group, c.def.plural, c.ns).filter((o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o));
    const metadata: Record<string, unknown> = { resourceVersion: this.store.resourceVersion };
    const limit = Number(c.url.searchParams.get('limit') ?? 0);
    const cont = c.url.searchParams.get('continue');
    if (cont) {
      const offset = Number(Buffer.from(cont, 'base64url').toString('utf8'));
      items = items.slice(Number.isFinite(offset) ? offset : 0);
    }
    if (limit > 0 && items.length > limit) {
      const offset = (cont ? Number(Buffer.from(cont, 'base64url').toString('utf8')) : 0) + limit;
      metadata.continue = Buffer.from(String(offset)).toString('base64url');
      metadata.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
    }
    return { kind: `${c.def.kind}List`, apiVersion: apiVersionOf(c.def.group, c.version), metadata, items: items.map((o) => stamp(c, o, false)) };
  }

  private watch(c: Ctx, req: IncomingMessage, res: ServerResponse, seen: SeenRequest): void {
    const labels = parseLabelSelector(c.url.searchParams.get('labelSelector'));
    const fields = parseFieldSelector(c.url.searchParams.get('fieldSelector'), c.def.plural);
    const matches = (o: KubeObject): boolean => (c.ns === undefined || o.metadata.namespace === c.ns) && matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o);
    const rvText = c.url.searchParams.get('resourceVersion') ?? '';
    const timeoutSeconds = Math.min(Number(c.url.searchParams.get('timeoutSeconds') ?? 1800) || 1800, 1800);
    seen.status = 200;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    // Headers go out at once, as the real server flushes them: clients wait for them before reading events.
    res.flushHeaders();
    const write = (type: string, object: unknown): void => {
      if (!res.destroyed) res.write(JSON.stringify({ type, object }) + '\n');
    };
    const backlog: { type: string; object: KubeObject }[] = [];
    if (rvText === '' || rvText === '0') {
      for (const o of this.store.list(c.def.group, c.def.plural, c.ns)) if (matches(o)) backlog.push({ type: 'ADDED', object: o });
    } else {
      const rv = Number(rvText);
      const changes = Number.isFinite(rv) ? this.store.changesSince(rv, c.def.group, c.def.plural) : 'expired';
      if (changes === 'expired') {
        write('ERROR', status(410, 'Expired', `too old resource version: ${rvText} (${this.store.oldestWatchable})`));
        res.end();
        return;
      }
      for (const ch of changes) if (matches(ch.object)) backlog.push({ type: ch.type, object: ch.object });
    }
    for (const e of backlog) write(e.type, stamp(c, e.object));
    const unsubscribe = this.store.subscribe((ch) => {
      if (ch.group === c.def.group && ch.plural === c.def.plural && matches(ch.object)) write(ch.type, stamp(c, ch.object));
    });
    const timer = setTimeout(() => stop(), timeoutSeconds * 1000);
    const stop = (): void => {
      clearTimeout(timer);
      unsubscribe();
      this.watches.delete(stop);
      if (!res.destroyed) res.end();
    };
    this.watches.add(stop);
    req.on('close', stop);
    res.on('close', stop);
  }

  /**
   * Field validation: values of the wrong type are 400 always; fields the kind does not have are 400
   * with `fieldValidation=Strict` (what kubectl sends), else a Warning header, as the real server does.
   */
  private async checkFields(c: Ctx, res: ServerResponse, obj: KubeObject): Promise<void> {
    const problems = await fieldProblems(c.def.group, c.version, c.def.kind, { apiVersion: apiVersionOf(c.def.group, c.version), kind: c.def.kind, ...obj });
    const typeErrors = problems.filter((p) => !p.startsWith('unknown field'));
    const unknown = problems.filter((p) => p.startsWith('unknown field'));
    if (typeErrors.length) throw new ApiError(400, 'BadRequest', `${c.def.kind} in version "${c.version}" cannot be handled as a ${c.def.kind}: ${typeErrors.join(', ')}`);
    if (!unknown.length) return;
    if (c.url.searchParams.get('fieldValidation') === 'Strict') throw new ApiError(400, 'BadRequest', `${c.def.kind} in version "${c.version}" cannot be handled as a ${c.def.kind}: strict decoding error: ${unknown.join(', ')}`);
    if (!res.headersSent) res.setHeader('Warning', unknown.map((u) => `299 - "${u}"`).join(', '));
  }

  private async create(c: Ctx, res: ServerResponse): Promise<KubeObject> {
    const obj = this.incoming(c);
    await this.checkFields(c, res, obj);
    this.requireNamespace(c.ns);
    if (!obj.metadata.name) {
      if (obj.metadata.generateName) obj.metadata.name = `${obj.metadata.generateName}${randomSuffix()}`;
      else throw invalid(c.def.kind, c.def.group, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' }]);
    }
    validate(c.def, obj);
    if (this.store.get(c.def.group, c.def.plural, c.ns, obj.metadata.name)) throw alreadyExists(c.def.plural, c.def.group, obj.metadata.name);
    if (c.def.plural === 'pods' && c.def.group === '') obj.status = { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now() }] };
    if (c.def.plural === 'namespaces') obj.status = { phase: 'Active' };
    return stamp(c, this.store.create(c.def.group, c.def.plural, obj, { generation: hasGeneration(c.def), dryRun: c.dryRun }));
  }

  /** The request body as an object of this resource: kind, apiVersion and namespace checked. */
  private incoming(c: Ctx): KubeObject {
    const obj = structuredClone(c.body) as KubeObject | undefined;
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new ApiError(400, 'BadRequest', 'the body of the request was empty or not an object');
    const expected = apiVersionOf(c.def.group, c.version);
    if (obj.apiVersion !== undefined && obj.apiVersion !== expected) throw new ApiError(400, 'BadRequest', `the API version in the data (${obj.apiVersion}) does not match the expected API version (${expected})`);
    if (obj.kind !== undefined && obj.kind !== c.def.kind) throw new ApiError(400, 'BadRequest', `the kind in the data (${obj.kind}) does not match the expected kind (${c.def.kind})`);
    obj.metadata ??= {} as KubeObject['metadata'];
    if (c.ns !== undefined) {
      if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== c.ns) throw new ApiError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
      obj.metadata.namespace = c.ns;
    }
    delete obj.apiVersion;
    delete obj.kind;
    return obj;
  }

  private async update(c: Ctx, res: ServerResponse): Promise<KubeObject> {
    const cur = this.store.get(c.def.group, c.def.plural, c.ns, c.name!);
    if (!cur) throw notFound(c.def.plural, c.def.group, c.name!);
    const obj = this.incoming(c);
    await this.checkFields(c, res, obj);
    if (obj.metadata.name !== c.name) throw new ApiError(400, 'BadRequest', 'the name of the object does not match the name on the URL');
    return stamp(c, this.commitUpdate(c, cur, obj));
  }

  private async patch(c: Ctx, res: ServerResponse): Promise<KubeObject> {
    const cur = this.store.get(c.def.group, c.def.plural, c.ns, c.name!);
    if (!cur) throw notFound(c.def.plural, c.def.group, c.name!);
    const patched = applyPatch(c, stamp(c, cur)) as KubeObject;
    if (!patched || typeof patched !== 'object') throw new ApiError(422, 'Invalid', 'the patch produced no object');
    await this.checkFields(c, res, patched);
    if (patched.metadata?.resourceVersion !== undefined && patched.metadata.resourceVersion !== cur.metadata.resourceVersion) {
      throw conflict(c.def.plural, c.def.group, c.name!, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const obj = structuredClone(patched);
    delete obj.apiVersion;
    delete obj.kind;
    obj.metadata.resourceVersion = cur.metadata.resourceVersion;
    return stamp(c, this.commitUpdate(c, cur, obj));
  }

  private commitUpdate(c: Ctx, cur: KubeObject, obj: KubeObject): KubeObject {
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== cur.metadata.resourceVersion) {
      throw conflict(c.def.plural, c.def.group, c.name!, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    if (obj.metadata.name !== cur.metadata.name || (obj.metadata.uid !== undefined && obj.metadata.uid !== cur.metadata.uid)) {
      throw invalid(c.def.kind, c.def.group, c.name!, [{ field: 'metadata.uid', message: 'Invalid value: field is immutable' }]);
    }
    obj.metadata = { ...obj.metadata, uid: cur.metadata.uid, creationTimestamp: cur.metadata.creationTimestamp, namespace: cur.metadata.namespace };
    if (cur.metadata.deletionTimestamp) {
      obj.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
      obj.metadata.deletionGracePeriodSeconds = cur.metadata.deletionGracePeriodSeconds;
    }
    if ((c.def.subresources ?? []).some((s) => s.name === 'status')) obj.status = cur.status;
    validate(c.def, obj);
    if (c.def.plural === 'pods' && c.def.group === '') checkPodUpdate(cur, obj);
    if (cur.metadata.generation !== undefined) obj.metadata.generation = deepEqual(obj.spec, cur.spec) ? cur.metadata.generation : cur.metadata.generation + 1;
    return this.store.update(c.def.group, c.def.plural, obj, { dryRun: c.dryRun });
  }

  private delete(c: Ctx): unknown {
    const cur = this.store.get(c.def.group, c.def.plural, c.ns, c.name!);
    if (!cur) throw notFound(c.def.plural, c.def.group, c.name!);
    const opts = deleteOptions(c);
    checkPreconditions(c, cur, opts.preconditions);
    if (c.dryRun) return stamp(c, cur);
    if (c.def.plural === 'pods' && c.def.group === '') {
      const grace = opts.gracePeriodSeconds ?? cur.spec?.terminationGracePeriodSeconds ?? 30;
      return stamp(c, this.cluster.deletePod(cur, grace) ?? cur);
    }
    if (c.def.plural === 'namespaces') {
      for (const r of ['pods', 'events']) for (const o of this.store.list('', r, cur.metadata.name)) this.store.remove('', r, o.metadata.namespace, o.metadata.name);
    }
    this.store.remove(c.def.group, c.def.plural, c.ns, c.name!);
    return status(200, '', '', { name: c.name, ...(c.def.group ? { group: c.def.group } : {}), kind: c.def.plural, uid: cur.metadata.uid });
  }

  private deleteCollection(c: Ctx): unknown {
    const items = this.list(c).items;
    for (const o of items) this.delete({ ...c, name: o.metadata.name });
    return { kind: `${c.def.kind}List`, apiVersion: apiVersionOf(c.def.group, c.version), metadata: {}, items };
  }

  private status(method: string, c: Ctx): KubeObject {
    const cur = this.store.get(c.def.group, c.def.plural, c.ns, c.name!);
    if (!cur) throw notFound(c.def.plural, c.def.group, c.name!);
    if (method === 'GET') return stamp(c, cur);
    const next = method === 'PATCH' ? (applyPatch(c, stamp(c, cur)) as KubeObject) : this.incoming(c);
    cur.status = next.status;
    return stamp(c, this.store.update(c.def.group, c.def.plural, cur, { dryRun: c.dryRun }));
  }

  /** The autoscaling/v1 Scale of a workload: GET, PUT (with resourceVersion precondition) and the three PATCHes. */
  private scale(method: string, c: Ctx): unknown {
    const cur = this.store.get(c.def.group, c.def.plural, c.ns, c.name!);
    if (!cur) throw notFound(c.def.plural, c.def.group, c.name!);
    const scaleOf = (o: KubeObject): object => ({
      kind: 'Scale', apiVersion: 'autoscaling/v1',
      metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
      spec: { replicas: o.spec?.replicas ?? 1 }, status: { replicas: o.status?.replicas ?? 0, selector: selectorString(o.spec?.selector) },
    });
    if (method === 'GET') return scaleOf(cur);
    let wanted: { metadata?: { resourceVersion?: string }; spec?: { replicas?: unknown } };
    if (method === 'PUT') wanted = (c.body ?? {}) as typeof wanted;
    else if (method === 'PATCH') wanted = applyPatch(c, scaleOf(cur)) as typeof wanted;
    else throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const rv = wanted.metadata?.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) throw conflict(c.def.plural, c.def.group, c.name!, 'the object has been modified; please apply your changes to the latest version and try again');
    const replicas = wanted.spec?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('Scale', 'autoscaling', c.name!, [{ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
    }
    if (cur.spec.replicas !== replicas) {
      cur.spec.replicas = replicas;
      cur.metadata.generation = (cur.metadata.generation ?? 1) + 1;
    }
    return scaleOf(this.store.update(c.def.group, c.def.plural, cur, { dryRun: c.dryRun }));
  }

  /** POST pods/<name>/eviction: deletes the pod unless a PodDisruptionBudget forbids it (429), as the real eviction API. */
  private evict(c: Ctx): void {
    const pod = this.store.get('', 'pods', c.ns, c.name!);
    if (!pod) throw notFound('pods', '', c.name!);
    const ev = (c.body ?? {}) as { kind?: string; metadata?: { name?: string }; deleteOptions?: DeleteOpts };
    if (ev.kind !== undefined && ev.kind !== 'Eviction') throw new ApiError(400, 'BadRequest', `the kind in the data (${ev.kind}) does not match the expected kind (Eviction)`);
    if (ev.metadata?.name !== undefined && ev.metadata.name !== c.name) throw new ApiError(400, 'BadRequest', `name in URL does not match name in Eviction object`);
    if (pod.metadata.deletionTimestamp) return;
    const budgets = this.store.list('policy', 'poddisruptionbudgets', c.ns).filter((b) => matchesLabels(fromLabelSelector(b.spec?.selector), pod.metadata.labels));
    if (budgets.length > 1) throw new ApiError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    const budget = budgets[0];
    if (budget) {
      const s = this.cluster.budget(budget) as { disruptionsAllowed: number; currentHealthy: number; desiredHealthy: number };
      const healthyPod = isReady(pod);
      if ((healthyPod && s.disruptionsAllowed < 1) || (!healthyPod && s.currentHealthy < s.desiredHealthy)) {
        throw new ApiError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
          causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${budget.metadata.name} needs ${s.desiredHealthy} healthy pods and has ${s.currentHealthy} currently` }],
        });
      }
    }
    const opts = ev.deleteOptions ?? {};
    checkPreconditions({ ...c, def: findResource('', 'v1', 'pods')! }, pod, opts.preconditions);
    if (c.dryRun) return;
    this.cluster.deletePod(pod, opts.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
  }

  /** `kubectl auth can-i`: the authorizer's answer for the caller, as a SelfSubjectAccessReview. */
  private accessReview(user: string, c: Ctx): unknown {
    const spec = ((c.body ?? {}) as { spec?: { resourceAttributes?: Record<string, string> } }).spec ?? {};
    const r = spec.resourceAttributes ?? {};
    let allowed = true;
    try {
      this.authz.check({ user, verb: r.verb ?? '', group: r.group ?? '', resource: r.subresource ? `${r.resource}/${r.subresource}` : (r.resource ?? ''), ...(r.namespace ? { namespace: r.namespace } : {}), ...(r.name ? { name: r.name } : {}) });
    } catch {
      // RBAC gives no reason for a denial
      allowed = false;
    }
    return { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status: { allowed } };
  }

  /** metrics.k8s.io PodMetrics and NodeMetrics, computed from running pods (usage from annotations, else small defaults). */
  private metrics(c: Ctx): unknown {
    const podMetrics = (p: KubeObject): object => ({
      kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: p.metadata.name, namespace: p.metadata.namespace, creationTimestamp: now(), labels: p.metadata.labels ?? {} },
      timestamp: now(), window: '15.000s',
      containers: (p.spec?.containers ?? []).map((ct: { name: string }) => ({ name: ct.name, usage: { cpu: p.metadata.annotations?.[ANNOTATIONS.cpu] ?? '5m', memory: p.metadata.annotations?.[ANNOTATIONS.memory] ?? '20Mi' } })),
    });
    if (c.def.kind === 'NodeMetrics') {
      const nodes = this.store.list('', 'nodes').map((n) => ({ kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { name: n.metadata.name, creationTimestamp: now() }, timestamp: now(), window: '20.000s', usage: { cpu: '250m', memory: '1024Mi' } }));
      if (c.name) return nodes.find((n) => n.metadata.name === c.name) ?? (() => { throw notFound('nodes', 'metrics.k8s.io', c.name!); })();
      return { kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: nodes };
    }
    const running = this.store.list('', 'pods', c.ns).filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
    if (c.name) {
      const p = running.find((x) => x.metadata.name === c.name);
      if (!p) throw notFound('pods', 'metrics.k8s.io', c.name);
      return podMetrics(p);
    }
    const labels = parseLabelSelector(c.url.searchParams.get('labelSelector'));
    return { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: running.filter((p) => matchesLabels(labels, p.metadata.labels)).map(podMetrics) };
  }
}

interface Ctx {
  def: ResourceDef;
  version: string;
  ns: string | undefined;
  name: string | undefined;
  url: URL;
  body: unknown;
  dryRun: boolean;
  contentType: string | undefined;
  accept: string;
}

interface DeleteOpts {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
}

function notServed(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', { causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }] });
}

function verbOf(method: string, named: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
      return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  }
}

function hasGeneration(def: ResourceDef): boolean {
  return def.group !== '' && def.group !== 'rbac.authorization.k8s.io';
}

/** Sets kind and apiVersion (of the version asked for) on an object leaving the server. */
function stamp(c: Pick<Ctx, 'def' | 'version'>, o: KubeObject, withType = true): KubeObject {
  const out = structuredClone(o);
  if (!withType) return out;
  return { apiVersion: apiVersionOf(c.def.group, c.version), kind: c.def.kind, ...out };
}

/** A meta.k8s.io Table when the client asks for one (kubectl get), else the object or list itself. */
function asTable(c: Ctx, items: KubeObject[], single: boolean, list?: object): unknown {
  if (!/as=Table/.test(c.accept)) return single ? items[0] : list;
  const isPod = c.def.plural === 'pods' && c.def.group === '';
  const age = (o: KubeObject): string => {
    const s = Math.max(0, Math.floor((Date.now() - Date.parse(o.metadata.creationTimestamp)) / 1000));
    return s < 120 ? `${s}s` : `${Math.floor(s / 60)}m`;
  };
  const columns = [{ name: 'Name', type: 'string', format: 'name', description: 'Name', priority: 0 }];
  if (isPod) columns.push({ name: 'Ready', type: 'string', format: '', description: 'ready containers', priority: 0 }, { name: 'Status', type: 'string', format: '', description: 'status', priority: 0 }, { name: 'Restarts', type: 'string', format: '', description: 'restarts', priority: 0 });
  columns.push({ name: 'Age', type: 'string', format: '', description: 'age', priority: 0 });
  const rows = items.map((o) => {
    const cells: unknown[] = [o.metadata.name];
    if (isPod) {
      const st: { ready?: boolean; restartCount?: number }[] = o.status?.containerStatuses ?? [];
      cells.push(`${st.filter((s) => s.ready).length}/${(o.spec?.containers ?? []).length}`, o.metadata.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? 'Unknown'), String(st.reduce((n, s) => n + (s.restartCount ?? 0), 0)));
    }
    cells.push(age(o));
    return { cells, object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } };
  });
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: (list as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion ?? items[0]?.metadata.resourceVersion ?? '' }, columnDefinitions: columns, rows };
}

function applyPatch(c: Ctx, current: unknown): unknown {
  const type = c.contentType ?? '';
  if (type === 'application/json-patch+json') return jsonPatch(current, c.body);
  if (type === 'application/merge-patch+json') return mergePatch(current, c.body);
  if (type === 'application/strategic-merge-patch+json') {
    // Custom resources have no strategic merge schema: the real server refuses it for them.
    if (c.def.group === 'networking.istio.io') throw unsupportedPatch();
    return strategicMergePatch(current, c.body);
  }
  throw unsupportedPatch();
}

function unsupportedPatch(): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
}

function deleteOptions(c: Ctx): DeleteOpts {
  const fromBody = (c.body && typeof c.body === 'object' ? c.body : {}) as DeleteOpts;
  const q = c.url.searchParams.get('gracePeriodSeconds');
  return { ...fromBody, ...(q !== null ? { gracePeriodSeconds: Number(q) } : {}) };
}

function checkPreconditions(c: Pick<Ctx, 'def' | 'name'>, cur: KubeObject, pre: DeleteOpts['preconditions']): void {
  if (pre?.uid && pre.uid !== cur.metadata.uid) {
    throw conflict(c.def.plural, c.def.group, cur.metadata.name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`);
  }
  if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
    throw conflict(c.def.plural, c.def.group, cur.metadata.name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`);
  }
}

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function validKey(k: string): string | undefined {
  const slash = k.lastIndexOf('/');
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123.test(prefix))) return 'prefix part must be a lowercase RFC 1123 subdomain';
  if (name.length === 0 || name.length > 63 || !QUALIFIED.test(name)) return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  return undefined;
}

/** The validation the real server does that matters to clients here (names, labels, annotations, pods, workloads). */
function validate(def: ResourceDef, o: KubeObject): void {
  const causes: { field: string; message: string; reason?: string }[] = [];
  const name = o.metadata.name ?? '';
  if (name && (name.length > 253 || !DNS1123.test(name))) causes.push({ field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'` });
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
    const bad = validKey(k);
    if (bad) causes.push({ field: 'metadata.labels', message: `Invalid value: "${k}": ${bad}` });
    if (typeof v !== 'string' || v.length > 63 || (v !== '' && !QUALIFIED.test(v))) causes.push({ field: 'metadata.labels', message: `Invalid value: "${String(v)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character` });
  }
  let size = 0;
  for (const [k, v] of Object.entries(o.metadata.annotations ?? {})) {
    const bad = validKey(k);
    if (bad) causes.push({ field: 'metadata.annotations', message: `Invalid value: "${k}": ${bad}` });
    if (typeof v !== 'string') causes.push({ field: `metadata.annotations[${k}]`, message: 'Invalid value: annotation values must be strings' });
    size += k.length + String(v).length;
  }
  if (size > 256 * 1024) causes.push({ field: 'metadata.annotations', message: 'Too long: must have at most 262144 bytes' });
  if (def.kind === 'Pod') {
    const containers = o.spec?.containers;
    if (!Array.isArray(containers) || containers.length === 0) causes.push({ field: 'spec.containers', message: 'Required value', reason: 'FieldValueRequired' });
    else containers.forEach((ct: { name?: string; image?: string }, i: number) => {
      if (!ct.name) causes.push({ field: `spec.containers[${i}].name`, message: 'Required value', reason: 'FieldValueRequired' });
      if (!ct.image) causes.push({ field: `spec.containers[${i}].image`, message: 'Required value', reason: 'FieldValueRequired' });
    });
  }
  if (['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'].includes(def.kind)) {
    const sel = o.spec?.selector;
    if (!sel) causes.push({ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' });
    else if (!matchesLabels(fromLabelSelector(sel), o.spec?.template?.metadata?.labels)) {
      causes.push({ field: 'spec.template.metadata.labels', message: `Invalid value: ${JSON.stringify(o.spec?.template?.metadata?.labels ?? {})}: \`selector\` does not match template \`labels\`` });
    }
    const r = o.spec?.replicas;
    if (r !== undefined && (!Number.isInteger(r) || r < 0)) causes.push({ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(r)}: must be greater than or equal to 0` });
  }
  if (def.kind === 'NetworkPolicy' && (!o.spec || typeof o.spec.podSelector !== 'object')) causes.push({ field: 'spec.podSelector', message: 'Required value', reason: 'FieldValueRequired' });
  if (causes.length) throw invalid(def.kind, def.group, name, causes);
}

/** Pods are immutable but for a few fields (container images first among them), as the real validation says. */
function checkPodUpdate(cur: KubeObject, next: KubeObject): void {
  const strip = (spec: any): unknown => {
    const s = structuredClone(spec ?? {});
    for (const list of ['containers', 'initContainers']) for (const ct of s[list] ?? []) delete ct.image;
    delete s.activeDeadlineSeconds;
    delete s.tolerations;
    delete s.terminationGracePeriodSeconds;
    return s;
  };
  if (!deepEqual(strip(cur.spec), strip(next.spec))) {
    throw invalid('Pod', '', cur.metadata.name, [{ field: 'spec', message: 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)', reason: 'FieldValueForbidden' }]);
  }
}

function splitApiVersion(apiVersion: string): [string, string] {
  const i = apiVersion.indexOf('/');
  return i < 0 ? ['', apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
}

function pluralOf(group: string, kind: string): string {
  return RESOURCES.find((r) => r.group === group && r.kind === kind && !r.virtual)?.plural ?? `${kind.toLowerCase()}s`;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  // Protobuf and CBOR bodies are not served (415), but for the access review some kubectl builds send.
  if (contentType && /protobuf|cbor/.test(contentType)) {
    const review = contentType.includes('protobuf') ? decodeAccessReview(raw) : undefined;
    if (review) return review;
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
  }
  const text = raw.toString('utf8');
  try {
    return contentType?.includes('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `the body of the request could not be decoded: ${(err as Error).message}`);
  }
}

/** Starts a test API server on 127.0.0.1 (TLS with the test CA unless `tls: false`). */
export async function startKubeApi(options: KubeApiOptions = {}): Promise<KubeApiServer> {
  return new KubeApiServer(options).listen();
}
