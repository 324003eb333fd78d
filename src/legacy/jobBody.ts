/**
 * A 2.x job body read the way dtle 2.x's agent read it (agent/http.go decodeBody: Go's
 * json.Decoder into an api.Job, api/jobs.go and api/tasks.go): Go's syntax errors, Go's texts for
 * a value of the wrong JSON type (the first one in the document, as Go reports it), fields found
 * by name ignoring case, `null` leaving a field unset, unknown fields kept for the schema layer
 * (legacy/schema.ts) that reads the rest. The fields of api.Job and api.Task come out under
 * their Go names.
 */
import { GoJsonSyntaxError, GoTypeError, goDecode, goTypeErrorText, goValueTypeErrorText, type GoField } from './gojson';

/** A Go field's type, as far as a JSON value can be checked against it. */
type GoType = 'string' | 'bool' | 'uint64' | '[]string' | 'map[string]interface {}' | '[]*api.Task';

/** api.Job (dtle 2.x): field → Go type. */
const API_JOB: Readonly<Record<string, GoType>> = {
  Region: 'string',
  ID: 'string',
  Orders: '[]string',
  Name: 'string',
  Failover: 'bool',
  Type: 'string',
  Datacenters: '[]string',
  Tasks: '[]*api.Task',
  Status: 'string',
  StatusDescription: 'string',
  EnforceIndex: 'bool',
  CreateIndex: 'uint64',
  ModifyIndex: 'uint64',
  JobModifyIndex: 'uint64',
};

/** api.Task (dtle 2.x). */
const API_TASK: Readonly<Record<string, GoType>> = {
  Type: 'string',
  NodeID: 'string',
  NodeName: 'string',
  Driver: 'string',
  Config: 'map[string]interface {}',
  Leader: 'bool',
  Status: 'string',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

class Decoder {
  /** the first type error in document order: Go decodes on and reports that one */
  first: string | null = null;

  private fail(at: GoField, field: string, v: unknown, goType: string): undefined {
    this.first ??= goTypeErrorText(at, field, v, goType);
    return undefined;
  }

  /** One value into a field of a Go type: the value when it fits, else undefined (and the error noted). */
  private value(at: GoField, field: string, v: unknown, type: GoType): unknown {
    switch (type) {
      case 'string':
        return typeof v === 'string' ? v : this.fail(at, field, v, 'string');
      case 'bool':
        return typeof v === 'boolean' ? v : this.fail(at, field, v, 'bool');
      case 'uint64':
        return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : this.fail(at, field, v, 'uint64');
      case 'map[string]interface {}':
        return isObject(v) ? v : this.fail(at, field, v, type);
      case '[]string':
        if (!Array.isArray(v)) return this.fail(at, field, v, type);
        return v.filter((x) => (typeof x === 'string' || x === null ? true : this.fail(at, field, x, 'string'))).map((x) => (x === null ? '' : x));
      case '[]*api.Task': {
        if (!Array.isArray(v)) return this.fail(at, field, v, type);
        const inner: GoField = { struct: 'Task', path: [...at.path, field] };
        return v.map((x) => (x === null ? null : isObject(x) ? this.struct(x, API_TASK, inner) : this.fail(at, field, x, 'api.Task')));
      }
    }
  }

  /**
   * A JSON object into a Go struct: each key, in document order, into the field it names (exactly
   * or ignoring case; a later key overwrites an earlier one); `null` leaves the field as it is.
   * Keys that name no field are kept as they are.
   */
  struct(o: Record<string, unknown>, fields: Readonly<Record<string, GoType>>, at: GoField): Record<string, unknown> {
    const byLower = new Map(Object.keys(fields).map((f) => [f.toLowerCase(), f]));
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(o)) {
      const name = Object.hasOwn(fields, key) ? key : byLower.get(key.toLowerCase());
      const type = name === undefined ? undefined : fields[name];
      if (name === undefined || type === undefined) {
        out[key] = v;
        continue;
      }
      if (v === null) continue;
      const decoded = this.value(at, name, v, type);
      if (decoded !== undefined) out[name] = decoded;
    }
    return out;
  }
}

/**
 * A parsed body (or the `Job` of a wrapped one) as api.Job: its fields under their Go names,
 * checked as Go checks them. Throws GoTypeError with Go's text for the first value of a wrong
 * type; `null` is an empty job (2.x's handler crashed on it).
 */
export function decodeApiJob(v: unknown): Record<string, unknown> {
  if (v === null) return {};
  if (!isObject(v)) throw new GoTypeError(goValueTypeErrorText(v, 'api.Job'));
  const d = new Decoder();
  const job = d.struct(v, API_JOB, { struct: 'Job', path: [] });
  if (d.first !== null) throw new GoTypeError(d.first);
  return job;
}

/** A request body's text as 2.x's agent decoded it: Go's syntax texts (`EOF` for an empty body). */
export function decodeBodyText(text: string | undefined): unknown {
  return goDecode(text ?? '');
}

export { GoJsonSyntaxError, GoTypeError };
