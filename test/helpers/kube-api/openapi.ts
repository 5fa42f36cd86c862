import { RESOURCES, apiVersionOf } from './resources.js';

type Schema = Record<string, unknown>;
type Model = { attributeTypeMap?: { baseName: string; type: string; format: string }[] };

let models: Record<string, unknown> | undefined;

/**
 * OpenAPI v3 documents for kubectl's client-side validation (`kubectl apply --dry-run=client`), built
 * from the models client-node generates from Kubernetes' own OpenAPI: every field of every built-in
 * kind with its type, so an unknown or mistyped field in a manifest fails as it would against a real
 * server. (Required fields are not in those models, so they are not checked.) VirtualServices get an
 * open schema, as a CRD without a structural schema would.
 */
export async function openApiIndex(disabled: ReadonlySet<string>): Promise<object> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions(disabled)) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hashOf(gv)}` };
  return { paths };
}

export async function openApiDocument(path: string): Promise<object | undefined> {
  const m = /^(api\/v1|apis\/([^/]+)\/([^/]+))$/.exec(path);
  if (!m) return undefined;
  const group = m[2] ?? '';
  const version = m[3] ?? 'v1';
  const defs = RESOURCES.filter((r) => r.group === group && r.versions.includes(version) && !r.virtual);
  if (defs.length === 0) return undefined;
  await loadModels();
  const schemas: Record<string, Schema> = {};
  const paths: Record<string, object> = {};
  for (const def of defs) {
    const name = modelName(group, version, def.kind);
    const gvk = [{ group, version, kind: def.kind }];
    if (!name) {
      schemas[`${group}.${version}.${def.kind}`] = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, 'x-kubernetes-group-version-kind': gvk, properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: ref('V1ObjectMeta') } };
      addModel('V1ObjectMeta', schemas);
      continue;
    }
    addModel(name, schemas);
    schemas[name] = { ...schemas[name], 'x-kubernetes-group-version-kind': gvk };
  }
  for (const def of defs) {
    // kubectl reads the PATCH operation of each kind to learn that the server validates fields itself
    // (fieldValidation), and then leaves validation to the server.
    const base = `/${group ? `apis/${group}` : 'api'}/${version}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.plural}/{name}`;
    const gvk = { group, version, kind: def.kind };
    const params = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((n) => ({ name: n, in: 'query', schema: { type: n === 'force' ? 'boolean' : 'string' } }));
    paths[base] = { patch: { operationId: `patch${def.kind}`, 'x-kubernetes-action': 'patch', 'x-kubernetes-group-version-kind': gvk, parameters: params, responses: { '200': { description: 'OK' } } } };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.30.4' }, paths, components: { schemas } };
}

async function loadModels(): Promise<void> {
  models ??= (await import('@kubernetes/client-node')) as unknown as Record<string, unknown>;
}

/**
 * Fields of `obj` the kind's schema does not have, and values of the wrong JSON type, as the server's
 * strict field validation reports them (`spec.template.spec.containers[0].imagePullPolicyy`). Kinds
 * without a model (custom resources) have none.
 */
export async function fieldProblems(group: string, version: string, kind: string, obj: unknown): Promise<string[]> {
  await loadModels();
  const name = modelName(group, version, kind);
  if (!name) return [];
  const out: string[] = [];
  walk(obj, name, '', out);
  return out;
}

function walk(value: unknown, type: string, path: string, out: string[]): void {
  if (value === null || value === undefined || out.length > 20) return;
  const at = path || '<root>';
  if (type === 'string' || type === 'Date') {
    if (typeof value !== 'string') out.push(`${at}: expected a string, got ${JSON.stringify(value)}`);
    return;
  }
  if (type === 'number') {
    if (typeof value !== 'number') out.push(`${at}: expected a number, got ${JSON.stringify(value)}`);
    return;
  }
  if (type === 'boolean') {
    if (typeof value !== 'boolean') out.push(`${at}: expected a boolean, got ${JSON.stringify(value)}`);
    return;
  }
  if (type === 'IntOrString') {
    if (typeof value !== 'string' && typeof value !== 'number') out.push(`${at}: expected an integer or a string`);
    return;
  }
  if (type === 'any' || type === 'object') return;
  let m = /^Array<(.+)>$/.exec(type);
  if (m) {
    if (!Array.isArray(value)) out.push(`${at}: expected a list`);
    else value.forEach((v, i) => walk(v, m![1]!, `${path}[${i}]`, out));
    return;
  }
  m = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (m) {
    if (typeof value !== 'object' || Array.isArray(value)) out.push(`${at}: expected a mapping`);
    else for (const [k, v] of Object.entries(value)) walk(v, m[1]!, `${path}[${k}]`, out);
    return;
  }
  const model = models![type] as Model | undefined;
  if (!model?.attributeTypeMap) return;
  if (typeof value !== 'object' || Array.isArray(value)) {
    out.push(`${at}: expected an object`);
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const attr = model.attributeTypeMap.find((a) => a.baseName === k);
    const sub = path ? `${path}.${k}` : k;
    if (!attr) out.push(`unknown field "${sub}"`);
    else walk(v, attr.type, sub, out);
  }
}

function groupVersions(disabled: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const r of RESOURCES) {
    if (r.virtual || disabled.has(r.group)) continue;
    for (const v of r.versions) out.add(r.group === '' ? 'api/v1' : `apis/${apiVersionOf(r.group, v)}`);
  }
  return [...out];
}

function hashOf(s: string): string {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h.toString(16).toUpperCase().padStart(16, '0');
}

/** client-node's model class for a kind: V1Deployment, V2HorizontalPodAutoscaler, CoreV1Event. */
function modelName(group: string, version: string, kind: string): string | undefined {
  const v = version[0]!.toUpperCase() + version.slice(1);
  for (const name of [`${v}${kind}`, `Core${v}${kind}`]) if ((models![name] as Model | undefined)?.attributeTypeMap) return name;
  return undefined;
}

function ref(name: string): Schema {
  return { allOf: [{ $ref: `#/components/schemas/${name}` }] };
}

function addModel(name: string, schemas: Record<string, Schema>): void {
  if (schemas[name]) return;
  const model = models![name] as Model | undefined;
  if (!model?.attributeTypeMap) {
    schemas[name] = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    return;
  }
  schemas[name] = { type: 'object' };
  const properties: Record<string, Schema> = {};
  for (const a of model.attributeTypeMap) properties[a.baseName] = typeSchema(a.type, a.format, schemas);
  schemas[name] = { type: 'object', properties };
}

function typeSchema(type: string, format: string, schemas: Record<string, Schema>): Schema {
  if (type === 'string') return { type: 'string' };
  if (type === 'boolean') return { type: 'boolean' };
  if (type === 'number') return format === 'double' ? { type: 'number' } : { type: 'integer', ...(format ? { format } : {}) };
  if (type === 'Date') return { type: 'string', format: 'date-time' };
  if (type === 'any' || type === 'object') return { 'x-kubernetes-preserve-unknown-fields': true };
  if (type === 'IntOrString') return { 'x-kubernetes-int-or-string': true };
  let m = /^Array<(.+)>$/.exec(type);
  if (m) return { type: 'array', items: typeSchema(m[1]!, '', schemas) };
  m = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (m) return { type: 'object', additionalProperties: typeSchema(m[1]!, '', schemas) };
  addModel(type, schemas);
  return ref(type);
}
