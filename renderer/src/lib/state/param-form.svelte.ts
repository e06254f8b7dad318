/**
 * The parameter form of a step's scenario: starts from the step's values over the scenario's defaults,
 * and checks each field the way the engine will, so the student sees what is wrong before pressing Run.
 */
import type { ParamSpec, ParamValue, ParamValues } from '../../../../main/contract/lab-model.js';

/** What an input holds: numbers are kept as typed text until they are checked. */
export type FieldValue = string | boolean;

export function rangeText(spec: Extract<ParamSpec, { type: 'integer' }>): string {
  return `${spec.min}–${spec.max}${spec.unit ? ` ${spec.unit}` : ''}`;
}

export function checkField(spec: ParamSpec, value: FieldValue | undefined): string | null {
  switch (spec.type) {
    case 'integer': {
      const text = typeof value === 'string' ? value.trim() : '';
      if (text === '') return `Enter a whole number from ${rangeText(spec)}.`;
      if (!/^-?\d+$/.test(text)) return `“${text}” is not a whole number; use ${rangeText(spec)}.`;
      const n = Number(text);
      if (n < spec.min || n > spec.max) return `${n} is out of range: use ${rangeText(spec)}.`;
      return null;
    }
    case 'boolean':
      return typeof value === 'boolean' ? null : 'Tick or untick this box.';
    case 'choice':
      return typeof value === 'string' && spec.options.includes(value) ? null : `Choose one of: ${spec.options.join(', ')}.`;
  }
}

function toField(spec: ParamSpec, value: ParamValue | undefined): FieldValue {
  const v = value ?? spec.default;
  if (spec.type === 'boolean') return typeof v === 'boolean' ? v : spec.default;
  return String(v);
}

export class ParamForm {
  #specs = $state.raw<readonly ParamSpec[]>([]);
  #values = $state<Record<string, FieldValue>>({});

  readonly errors = $derived.by(() => {
    const errors: Record<string, string> = {};
    for (const spec of this.#specs) {
      const error = checkField(spec, this.#values[spec.name]);
      if (error) errors[spec.name] = error;
    }
    return errors;
  });
  readonly valid = $derived(Object.keys(this.errors).length === 0);

  get specs(): readonly ParamSpec[] {
    return this.#specs;
  }
  get values(): Record<string, FieldValue> {
    return this.#values;
  }

  reset(specs: readonly ParamSpec[], start: ParamValues): void {
    this.#specs = specs;
    const values: Record<string, FieldValue> = {};
    for (const spec of specs) values[spec.name] = toField(spec, start[spec.name]);
    this.#values = values;
  }

  set(name: string, value: FieldValue): void {
    this.#values[name] = value;
  }

  /** The values to send with runs.start; call only when `valid`. */
  toParams(): ParamValues {
    const params: ParamValues = {};
    for (const spec of this.#specs) {
      const value = this.#values[spec.name];
      if (spec.type === 'integer') params[spec.name] = Number(value);
      else if (value !== undefined) params[spec.name] = value;
    }
    return params;
  }
}
