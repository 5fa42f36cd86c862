import { FirebreakError } from '../errors.js';
import type { TargetSelector } from '../drivers/types.js';
import type { Target } from '../faults/types.js';

/** The selector keys every driver understands; the rest are driver-specific and ignored here. */
export const GENERIC_SELECTOR_KEYS = ['names', 'namePattern', 'labels', 'image', 'namespaces'] as const;

/**
 * True when a target matches every field the selector sets (an empty selector matches everything).
 * `names` matches a target's name or id; `namePattern` is a glob (`payments-*`, `?` for one character)
 * or a `/regex/flags`; `labels` must all be equal; `image` matches `target.meta.image` exactly, or any
 * tag of it when the selector names no tag; `namespaces` matches `target.meta.namespace`.
 */
export function matchesSelector(target: Target, selector: TargetSelector): boolean {
  if (selector.names !== undefined && !selector.names.some((n) => n === target.name || n === target.id)) return false;
  if (selector.namePattern !== undefined && !compileNamePattern(selector.namePattern).test(target.name)) return false;
  if (selector.labels !== undefined) {
    for (const [key, value] of Object.entries(selector.labels)) {
      if (target.labels[key] !== value) return false;
    }
  }
  if (selector.image !== undefined && !imageMatches(selector.image, metaString(target, 'image'))) return false;
  if (selector.namespaces !== undefined) {
    const ns = metaString(target, 'namespace');
    if (ns === undefined || !selector.namespaces.includes(ns)) return false;
  }
  return true;
}

const compiled = new Map<string, RegExp>();

/**
 * Turns a glob (`payments-*`, anchored) or a `/regex/flags` (as written) into a RegExp. A broken
 * regex is FIREBREAK_E_INVALID.
 */
export function compileNamePattern(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = compile(pattern);
    if (compiled.size > 256) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

function compile(pattern: string): RegExp {
  const regex = /^\/(.+)\/([dgimsuy]*)$/.exec(pattern);
  if (regex) {
    try {
      // Without g and y: test() would keep state between targets.
      return new RegExp(regex[1]!, regex[2]!.replace('g', '').replace('y', ''));
    } catch (err) {
      throw new FirebreakError('FIREBREAK_E_INVALID', `namePattern ${pattern} is not a valid regular expression: ${(err as Error).message}`, { cause: err });
    }
  }
  let body = '';
  for (const ch of pattern) {
    if (ch === '*') body += '.*';
    else if (ch === '?') body += '.';
    else body += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${body}$`);
}

/** `firebreak-test/busybox` matches `firebreak-test/busybox:latest`; `repo:tag` and digests match exactly. */
export function imageMatches(wanted: string, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  if (wanted === actual) return true;
  if (hasTagOrDigest(wanted)) return false;
  return repositoryOf(actual) === wanted;
}

function hasTagOrDigest(image: string): boolean {
  if (image.includes('@')) return true;
  const lastSlash = image.lastIndexOf('/');
  return image.indexOf(':', lastSlash + 1) !== -1;
}

function repositoryOf(image: string): string {
  const at = image.indexOf('@');
  const noDigest = at === -1 ? image : image.slice(0, at);
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', lastSlash + 1);
  return colon === -1 ? noDigest : noDigest.slice(0, colon);
}

function metaString(target: Target, key: string): string | undefined {
  const v = target.meta?.[key];
  return typeof v === 'string' ? v : undefined;
}
