/** Reads a definition from JSON or YAML text (or takes an object) into plain JSON. */
import { parse as parseYaml } from 'yaml';
import { toJson } from '../json.ts';
import type { Json } from '../types.ts';
import { MAX_JSON_DEPTH, jsonValueTooDeep } from '../../../core/json-depth.ts';

export type Loaded = { ok: true; value: Json; bytes: number } | { ok: false; message: string };

export function loadDefinition(source: unknown): Loaded {
  if (typeof source === 'string') {
    const bytes = Buffer.byteLength(source, 'utf8');
    const text = source.replace(/^\uFEFF/, '');
    if (text.trim() === '') return { ok: false, message: 'the definition is empty' };
    if (/^\s*[{[]/.test(text)) {
      try {
        return bounded({ ok: true, value: JSON.parse(text) as Json, bytes });
      } catch (err) {
        // Fall through to YAML, which accepts flow style, but report the JSON error if both fail.
        const yaml = tryYaml(text);
        if (yaml.ok) return bounded({ ...yaml, bytes });
        return { ok: false, message: `the definition is not valid JSON: ${(err as Error).message}` };
      }
    }
    const yaml = tryYaml(text);
    return yaml.ok ? bounded({ ...yaml, bytes }) : yaml;
  }
  const value = toJson(source);
  if (value === undefined) return { ok: false, message: 'the definition object holds values that are not JSON' };
  return { ok: true, value, bytes: Buffer.byteLength(JSON.stringify(value), 'utf8') };
}

/** A definition nested past the platform's JSON bound is refused: validating and running it recurse. */
function bounded(loaded: Loaded): Loaded {
  if (loaded.ok && jsonValueTooDeep(loaded.value)) return { ok: false, message: `the definition nests deeper than ${MAX_JSON_DEPTH} levels` };
  return loaded;
}

function tryYaml(text: string): { ok: true; value: Json; bytes: number } | { ok: false; message: string } {
  try {
    const parsed: unknown = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
    const value = toJson(parsed);
    if (value === undefined) return { ok: false, message: 'the YAML definition holds values that are not JSON' };
    return { ok: true, value, bytes: 0 };
  } catch (err) {
    return { ok: false, message: `the definition is neither valid JSON nor valid YAML: ${(err as Error).message}` };
  }
}
