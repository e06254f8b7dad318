/**
 * The parameter form of a step's scenario. It shows the values of the run on screen (or, before any
 * run, the step's values over the scenario's defaults; a randomised parameter's step value is the one
 * picked for this student, and the form says so), says whose values they are and which differ from
 * the step's, and checks each field the way the engine will, so the student sees what is wrong before
 * pressing Run. Only the student's edits and their own actions (opening a run, "Reset to the step's
 * values") change what it holds: an update of the run on screen never does.
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

/** Whose values the form was filled with. */
export type FormOrigin = { kind: 'step' } | { kind: 'run'; runId: number };

/** A field's value as the engine would read it, so "16" and " 16" compare equal. */
function normalized(spec: ParamSpec, value: FieldValue | undefined): string {
  if (spec.type === 'integer' && typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return String(Number(value));
  return String(value);
}

function fieldsOf(specs: readonly ParamSpec[], start: ParamValues): Record<string, FieldValue> {
  const values: Record<string, FieldValue> = {};
  for (const spec of specs) values[spec.name] = toField(spec, start[spec.name]);
  return values;
}

export class ParamForm {
  #specs = $state.raw<readonly ParamSpec[]>([]);
  #values = $state<Record<string, FieldValue>>({});
  /** The step's values (over the scenario's defaults), as fields. */
  #stepValues = $state.raw<Record<string, FieldValue>>({});
  #origin = $state.raw<FormOrigin>({ kind: 'step' });
  /** The values the form was filled with, to tell whether the student edited them. */
  #originValues = $state.raw<Record<string, FieldValue>>({});
  /** The values each randomised parameter is picked from (the step's value of it is this student's pick). */
  #randomised = $state.raw<Record<string, readonly ParamValue[]>>({});

  /** Names of the fields that differ from the step's values. */
  readonly changedFromStep = $derived<readonly string[]>(
    this.#specs.filter((spec) => normalized(spec, this.#values[spec.name]) !== normalized(spec, this.#stepValues[spec.name])).map((spec) => spec.name),
  );
  /** The student changed a field since the form was filled. */
  readonly edited = $derived(this.#specs.some((spec) => normalized(spec, this.#values[spec.name]) !== normalized(spec, this.#originValues[spec.name])));
  readonly atStepValues = $derived(this.changedFromStep.length === 0);

  readonly errors = $derived.by(() => {
    const errors: Record<string, string> = {};
    for (const spec of this.#specs) {
      const error = checkField(spec, this.#values[spec.name]);
      if (error) errors[spec.name] = error;
    }
    return errors;
  });
  readonly valid = $derived(Object.keys(this.errors).length === 0);
  /** The values the form shows that the engine would take (a field being typed into and not valid yet is left out). */
  readonly shownValues = $derived.by(() => {
    const values: ParamValues = {};
    for (const spec of this.#specs) {
      const value = this.#values[spec.name];
      if (value === undefined || checkField(spec, value) !== null) continue;
      values[spec.name] = spec.type === 'integer' ? Number(value) : value;
    }
    return values;
  });

  get specs(): readonly ParamSpec[] {
    return this.#specs;
  }
  get values(): Record<string, FieldValue> {
    return this.#values;
  }

  /** The step's value of a field, as the form shows it. */
  stepValue(name: string): string {
    return String(this.#stepValues[name] ?? '');
  }

  get origin(): FormOrigin {
    return this.#origin;
  }

  /**
   * A step opened: its scenario's fields, filled with the step's values (for this student: with their
   * own pick of each parameter in `randomised`, the values it is picked from).
   */
  reset(specs: readonly ParamSpec[], stepParams: ParamValues, randomised: Record<string, readonly ParamValue[]> = {}): void {
    this.#specs = specs;
    this.#stepValues = fieldsOf(specs, stepParams);
    this.#randomised = randomised;
    this.resetToStep();
  }

  /** The values a randomised parameter is picked from, or null for one every student starts with alike. */
  pickedFrom(name: string): readonly ParamValue[] | null {
    return this.#randomised[name] ?? null;
  }

  /** "Reset to the step's values". */
  resetToStep(): void {
    this.#origin = { kind: 'step' };
    this.#originValues = this.#stepValues;
    this.#values = { ...this.#stepValues };
  }

  /** A run is on screen: the form shows the values it was made with. */
  showRun(runId: number, params: ParamValues): void {
    const values = fieldsOf(this.#specs, params);
    this.#origin = { kind: 'run', runId };
    this.#originValues = values;
    this.#values = { ...values };
  }

  /** A run was just started from what the form holds: those values are now that run's. */
  markRun(runId: number): void {
    this.#origin = { kind: 'run', runId };
    this.#originValues = { ...this.#values };
  }

  set(name: string, value: FieldValue): void {
    this.#values[name] = value;
  }

  /** Sets the fields `params` names (a variant's values, the step's control), leaving the others as they are. */
  apply(params: ParamValues): void {
    for (const spec of this.#specs) if (Object.hasOwn(params, spec.name)) this.#values[spec.name] = toField(spec, params[spec.name]);
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
