/**
 * Parameter templates in lab text. A step whose parameters differ from student to student (its
 * `randomise:` block, labs/README.md) cannot say "the step's 4 slots": its text, questions and hints
 * write `{slots}`, or a little arithmetic such as `{fastItems - slots}`, and whoever shows them fills each in
 * from the values it shows (the page: the values in its form; the engine's grades: the run's). A number
 * question's fixed answer may be one too (`answer: "{slots}"`): graded against the value the run's own
 * parameters give.
 *
 * Written once here for the loader (which refuses a name the scenario does not have), the engine's
 * grading, the command line and the page. No eval: the grammar is
 *
 *   expression := term (("+" | "-") term)*      term := factor (("*" | "/") factor)*
 *   factor     := integer | name | "(" expression ")" | "-" factor
 *
 * "/" is whole-number division, as in C (7 / 2 is 3): a program that stops "halfway" through n items
 * stops after n / 2 of them. Only braces whose content is made of those characters (letters, digits,
 * + - * / ( ) and spaces, with at least one letter) are templates; others, such as
 * `{ account: 'alice' }` in a code span, are text.
 */
import type { LabStep, ParamSpec, ParamValue, ParamValues, Question } from './lab-model.js';

export type TemplateExpression =
  | { kind: 'number'; value: number }
  | { kind: 'name'; name: string }
  | { kind: 'negate'; operand: TemplateExpression }
  | { kind: 'operation'; operator: '+' | '-' | '*' | '/'; left: TemplateExpression; right: TemplateExpression };

/** One template found in a text: where it starts, the whole `{...}`, and what is inside the braces. */
export interface TemplateAt {
  index: number;
  source: string;
  expression: string;
}

const CANDIDATE = /\{([^{}\n]*)\}/g;
const TEMPLATE_CHARS = /^[A-Za-z0-9+\-*/()\s]+$/;

/** The templates in `text`, in order. */
export function templatesIn(text: string): TemplateAt[] {
  const found: TemplateAt[] = [];
  for (const match of text.matchAll(CANDIDATE)) {
    const inside = match[1]!;
    if (TEMPLATE_CHARS.test(inside) && /[A-Za-z]/.test(inside)) found.push({ index: match.index, source: match[0], expression: inside.trim() });
  }
  return found;
}

/** Parses what is inside a template's braces; throws an Error saying what is wrong and where. */
export function parseTemplate(expression: string): TemplateExpression {
  const tokens = expression.match(/\d+|[A-Za-z][A-Za-z0-9]*|[+\-*/()]|\S/g) ?? [];
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`{${expression}}: ${what}`);
  };
  const peek = (): string | undefined => tokens[at];
  const factor = (): TemplateExpression => {
    const token = tokens[at++];
    if (token === undefined) return fail('it ends where a number or a parameter name should come');
    if (/^\d+$/.test(token)) return { kind: 'number', value: Number(token) };
    if (/^[A-Za-z]/.test(token)) return { kind: 'name', name: token };
    if (token === '-') return { kind: 'negate', operand: factor() };
    if (token === '(') {
      const inner = sum();
      if (tokens[at++] !== ')') fail('a "(" is not closed');
      return inner;
    }
    return fail(`"${token}" where a number or a parameter name should come`);
  };
  const product = (): TemplateExpression => {
    let left = factor();
    for (let next = peek(); next === '*' || next === '/'; next = peek()) {
      at++;
      left = { kind: 'operation', operator: next, left, right: factor() };
    }
    return left;
  };
  const sum = (): TemplateExpression => {
    let left = product();
    for (let next = peek(); next === '+' || next === '-'; next = peek()) {
      at++;
      left = { kind: 'operation', operator: next, left, right: product() };
    }
    return left;
  };
  const parsed = sum();
  if (at < tokens.length) fail(`"${tokens[at]}" is not expected there (a template is a parameter name, or arithmetic with + - * / over them)`);
  return parsed;
}

/** The parameter names a template uses. */
export function templateNames(expression: TemplateExpression): string[] {
  switch (expression.kind) {
    case 'number':
      return [];
    case 'name':
      return [expression.name];
    case 'negate':
      return templateNames(expression.operand);
    case 'operation':
      return [...new Set([...templateNames(expression.left), ...templateNames(expression.right)])];
  }
}

/**
 * Why a template does not fit a scenario's parameters, or undefined when it does: every name must be
 * one of them, and arithmetic takes integer parameters only (in text, a bare name may be any
 * parameter; `numeric`, for an answer, it must be a whole number too).
 */
export function templateProblem(expression: string, specs: readonly Pick<ParamSpec, 'name' | 'type'>[], numeric = false): string | undefined {
  let parsed: TemplateExpression;
  try {
    parsed = parseTemplate(expression);
  } catch (error) {
    return (error as Error).message;
  }
  const names = specs.map((s) => s.name);
  for (const name of templateNames(parsed)) {
    const spec = specs.find((s) => s.name === name);
    if (!spec) return `{${expression}} names "${name}", which is not a parameter of the scenario (its parameters: ${names.join(', ') || 'none'})`;
    if ((numeric || parsed.kind !== 'name') && spec.type !== 'integer')
      return `{${expression}} ${parsed.kind === 'name' ? 'is' : 'does arithmetic with'} "${name}", which is not a whole number`;
  }
  return undefined;
}

/**
 * The value of a template for these parameters, or undefined when a name has no value, arithmetic meets
 * one that is not a number, or it divides by zero.
 */
export function evaluateTemplate(expression: TemplateExpression, params: ParamValues): ParamValue | undefined {
  switch (expression.kind) {
    case 'number':
      return expression.value;
    case 'name':
      return Object.hasOwn(params, expression.name) ? params[expression.name] : undefined;
    case 'negate': {
      const operand = evaluateTemplate(expression.operand, params);
      return typeof operand === 'number' ? -operand : undefined;
    }
    case 'operation': {
      const left = evaluateTemplate(expression.left, params);
      const right = evaluateTemplate(expression.right, params);
      if (typeof left !== 'number' || typeof right !== 'number') return undefined;
      switch (expression.operator) {
        case '+':
          return left + right;
        case '-':
          return left - right;
        case '*':
          return left * right;
        case '/':
          return right === 0 ? undefined : Math.trunc(left / right);
      }
    }
  }
}

/** The number a template gives for these parameters, or undefined (a fixed answer that cannot be worked out). */
export function templateNumber(expression: string, params: ParamValues): number | undefined {
  try {
    const value = evaluateTemplate(parseTemplate(expression), params);
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `text` with each template replaced by its value; a template without a value (or one that does not parse) stays as written. */
export function fillTemplates(text: string, params: ParamValues): string {
  if (!text.includes('{')) return text;
  let out = '';
  let from = 0;
  for (const template of templatesIn(text)) {
    let value: ParamValue | undefined;
    try {
      value = evaluateTemplate(parseTemplate(template.expression), params);
    } catch {
      value = undefined;
    }
    out += text.slice(from, template.index) + (value === undefined ? template.source : String(value));
    from = template.index + template.source.length;
  }
  return out + text.slice(from);
}

/** A question with every text in it filled (prompt, explanation, options and their whys, items). */
export function fillQuestion<Q extends Question>(question: Q, params: ParamValues): Q {
  const fill = (text: string) => fillTemplates(text, params);
  const text = { ...question, prompt: fill(question.prompt), explanation: fill(question.explanation) };
  switch (text.type) {
    case 'choice':
      return { ...text, options: text.options.map((o) => ({ ...o, text: fill(o.text), why: o.why === null ? null : fill(o.why) })) };
    case 'order':
      return { ...text, items: text.items.map((i) => ({ ...i, text: fill(i.text) })) };
    default:
      return text;
  }
}

/** A step with its text, hints and questions filled in for these parameters. */
export function fillStep<S extends Pick<LabStep, 'body' | 'hints' | 'questions'>>(step: S, params: ParamValues): S {
  return {
    ...step,
    body: fillTemplates(step.body, params),
    hints: step.hints.map((h) => fillTemplates(h, params)),
    questions: step.questions.map((q) => fillQuestion(q, params)),
  };
}

/** Every text of a question that may hold templates, with where it is in the question (for the loader's messages). */
export function questionTexts(question: {
  prompt: string;
  explanation: string;
  options?: { text: string; why?: string | null | undefined }[];
  items?: { text: string }[];
}): { path: (string | number)[]; text: string }[] {
  return [
    { path: ['prompt'], text: question.prompt },
    { path: ['explanation'], text: question.explanation },
    ...(question.options ?? []).flatMap((o, i) => [
      { path: ['options', i, 'text'], text: o.text },
      ...(o.why ? [{ path: ['options', i, 'why'], text: o.why }] : []),
    ]),
    ...(question.items ?? []).map((item, i) => ({ path: ['items', i, 'text'], text: item.text })),
  ];
}
