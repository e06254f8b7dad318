/**
 * Loads labs/ (the format is in labs/README.md). Each lab folder is checked on its own: a malformed lab
 * becomes a LabProblem with file and line, and the other labs still load.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { z } from 'zod';
import {
  QUIZ_STEP,
  type Lab,
  type LabProblem,
  type LabStep,
  type ParamSpec,
  type ParamValue,
  type ProgramSource,
  type Question,
  type Scenario,
  type Tolerance,
} from '../contract/lab-model.js';
import { NAME_MAX_CHARS, PARAM_TEXT_MAX_CHARS } from '../contract/commands.js';
import { questionTexts, templateProblem, templatesIn } from '../contract/param-template.js';
import type { LabChecks } from './check-kit.js';
import { findProjectRoot } from '../project-root.js';
import { labDigest } from './lab-digest.js';
import { checksFileOf } from './check-runner.js';
import { chartDeclarationProblem } from './check-charts.js';

export interface LoadedLab extends Lab {
  /** The lab's folder. */
  dir: string;
  /** Where its compiled programs are (dist/labs/<id>). */
  compiledDir: string;
  checks: LabChecks;
}

export interface LabCatalogue {
  labs: LoadedLab[];
  problems: LabProblem[];
}

// At most the lengths a request can name (main/contract/commands.ts): a longer one could never be run or answered.
const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes')
  .max(NAME_MAX_CHARS, `an id has at most ${NAME_MAX_CHARS} characters`);
const paramName = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9]*$/, 'a parameter name is letters and digits, like chunkBytes')
  .max(NAME_MAX_CHARS, `a parameter name has at most ${NAME_MAX_CHARS} characters`);
const paramSchema = z.discriminatedUnion('type', [
  z
    .object({
      name: paramName,
      label: z.string(),
      type: z.literal('integer'),
      default: z.number().int(),
      min: z.number().int(),
      max: z.number().int(),
      unit: z.string().optional(),
      help: z.string().optional(),
    })
    .strict()
    .refine((p) => p.min <= p.default && p.default <= p.max, 'default must lie between min and max'),
  z.object({ name: paramName, label: z.string(), type: z.literal('boolean'), default: z.boolean(), help: z.string().optional() }).strict(),
  z
    .object({
      name: paramName,
      label: z.string(),
      type: z.literal('choice'),
      default: z.string(),
      options: z.array(z.string().max(PARAM_TEXT_MAX_CHARS, `an option has at most ${PARAM_TEXT_MAX_CHARS} characters`)).min(1),
      help: z.string().optional(),
    })
    .strict()
    .refine((p) => p.options.includes(p.default), 'default must be one of the options'),
]);
const scenarioSchema = z
  .object({
    title: z.string(),
    timeoutMs: z.number().int().min(1000).max(600_000).default(30_000),
    programs: z.array(z.object({ role: id, program: z.string().regex(/^programs\/[\w-]+\.ts$/, 'must be programs/<name>.ts') }).strict()).min(1),
    params: z.array(paramSchema).default([]),
  })
  .strict();
/** A tolerance as a lab writes it: a number (in the question's unit) or a percentage of the expected value, like "5%". */
const toleranceSchema = z.union([z.number().min(0), z.string().regex(/^\d+(\.\d+)?%$/, 'a tolerance is a number in the unit, or a percentage like "5%"')]);
const questionText = { id, prompt: z.string().min(1), explanation: z.string().min(1) };
const questionSchema = z.discriminatedUnion('type', [
  z
    .object({
      ...questionText,
      type: z.literal('number'),
      unit: z.string().min(1),
      /** A measurement one of the step's checks declares, or a fixed `answer`: a number, or a template over the run's parameters ("{slots}"). */
      measurement: id.optional(),
      answer: z.union([z.number(), z.string().min(1)]).optional(),
      tolerance: toleranceSchema.default(0),
      close: toleranceSchema.optional(),
    })
    .strict()
    .refine((q) => (q.measurement === undefined) !== (q.answer === undefined), 'a number question needs a measurement or an answer, not both'),
  z
    .object({
      ...questionText,
      type: z.literal('choice'),
      multiple: z.boolean().default(false),
      options: z
        .array(z.object({ id: id.optional(), text: z.string().min(1), correct: z.boolean().default(false), why: z.string().min(1).optional() }).strict())
        .min(2, 'a choice needs at least two options'),
    })
    .strict(),
  z
    .object({
      ...questionText,
      type: z.literal('order'),
      items: z.array(z.object({ id, text: z.string().min(1) }).strict()).min(2, 'an order needs at least two items'),
    })
    .strict(),
  z.object({ ...questionText, type: z.literal('text'), maxLength: z.number().int().min(1).max(20_000).default(2000) }).strict(),
]);
const labSchema = z
  .object({
    title: z.string(),
    summary: z.string(),
    objectives: z.array(z.string()).default([]),
    platforms: z.array(z.enum(['linux', 'darwin', 'win32', 'freebsd'])).default([]),
    /**
     * Library sources the student should read too, relative to the project (shown after the programs):
     * the runtime's TypeScript, and the addon's C loops that time the same system calls natively.
     */
    library: z
      .array(
        z
          .string()
          .regex(
            /^main\/(runtime\/[\w/-]+\.ts|native\/[\w-]+\.c)$/,
            'must be a file under main/runtime/ (like main/runtime/shared-memory/mutex.ts) or a C file of main/native/ (like main/native/measure-loops.c)',
          ),
      )
      .default([]),
    scenarios: z.record(id, scenarioSchema),
    /** The lab's closing quiz on the misconceptions it targets: questions with fixed answers, graded on submit. */
    quiz: z.array(questionSchema).default([]),
  })
  .strict();
const stepSchema = z
  .object({
    title: z.string(),
    scenario: id,
    params: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).default({}),
    /** The values each student may be given, per parameter (the student's own pick replaces the step's value). */
    randomise: z
      .record(z.string(), z.array(z.union([z.number(), z.boolean(), z.string()])).min(2, 'a randomised parameter needs at least two values to pick from'))
      .default({}),
    checks: z.array(id).default([]),
    variants: z
      .array(
        z
          .object({
            name: z.string().min(1),
            params: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])),
            fails: z.array(id).min(1),
            /** The variant the student runs as the step's control (at most one). */
            control: z.boolean().default(false),
          })
          .strict(),
      )
      .default([]),
    questions: z.array(questionSchema).default([]),
    hints: z.array(z.string().min(1)).default([]),
  })
  .strict();

/**
 * A problem line stays readable whatever a lab file quotes into it (a unit or a title thousands of
 * characters long): past this, its middle is cut, keeping how it starts and the fix it ends with.
 */
const PROBLEM_MAX_CHARS = 1000;

class LabFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(message.length <= PROBLEM_MAX_CHARS ? message : `${message.slice(0, 600)} [... ${message.length - 900} characters cut ...] ${message.slice(-300)}`);
  }
}

/** A Markdown file with YAML frontmatter, parsed with line numbers kept. */
function readFrontmatter(file: string): {
  doc: Document;
  data: unknown;
  body: string;
  /** The line of the file the body starts on. */
  bodyLine: number;
  lineOf(path: (string | number)[]): number;
} {
  const text = readFileSync(file, 'utf8');
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!match) throw new LabFileError(file, 1, 'missing YAML frontmatter: the file must start with a line "---", the YAML, and another "---"');
  const lineCounter = new LineCounter();
  // yaml's own check for a key written twice compares every pair of a mapping's keys: 30,000 keys took
  // 7.7 s (and a fuzzed 50,000, 21 s). uniqueKeys() below does it in one pass.
  const doc = parseDocument(match[1]!, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = lineCounter.linePos(yamlError.pos[0]).line + 1;
    throw new LabFileError(file, line, `YAML error: ${yamlError.message.split('\n')[0]}`);
  }
  const twice = firstRepeatedKey(doc);
  if (twice)
    throw new LabFileError(file, lineCounter.linePos(twice.offset).line + 1, `YAML error: the key "${twice.key}" is written twice in one mapping; keep one`);
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // Aliases that expand without bound ("billion laughs"): yaml stops at maxAliasCount and throws.
    throw new LabFileError(file, 2, `YAML error: ${(error as Error).message}. Fix: write the values out instead of repeating aliases (*name) of aliases`);
  }
  const lineOf = (path: (string | number)[]): number => {
    // The deepest node along the path that exists; its line in the file (+1 for the opening ---).
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
      const offset = node && typeof node === 'object' && node.range ? node.range[0] : undefined;
      if (offset !== undefined) return lineCounter.linePos(offset).line + 1;
    }
    return 2;
  };
  return { doc, data, body: text.slice(match[0].length), bodyLine: match[0].split('\n').length, lineOf };
}

/** The first key written twice in one mapping (its text and offset), in one pass over the document. */
function firstRepeatedKey(doc: Document): { key: string; offset: number } | undefined {
  let found: { key: string; offset: number } | undefined;
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        if (seen.has(pair.key.value)) {
          found = { key: String(pair.key.value), offset: pair.key.range?.[0] ?? 0 };
          return visit.BREAK;
        }
        seen.add(pair.key.value);
      }
      return undefined;
    },
  });
  return found;
}

function parseWith<T>(schema: z.ZodType<T>, file: string, parsed: ReturnType<typeof readFrontmatter>): T {
  const result = schema.safeParse(parsed.data ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const where = path.length ? `"${path.join('.')}": ` : '';
  throw new LabFileError(file, parsed.lineOf(path), `${where}${issue.message}`);
}

/**
 * Whether `path` is a file (through links): a folder (or a link to one) named like a program or a lab
 * file would otherwise pass existsSync and fail reading with EISDIR, a message with no file or line.
 */
function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false; // a loop of links (ELOOP), a name too long: not a file the lab can have
  }
}

function stepIdOf(fileName: string): string {
  return fileName.replace(/\.md$/, '').replace(/^\d+-/, '');
}

/** A lab folder's name: its number in the catalogue, a dash, and the lab's id (the contract's lab id: at most 64 characters). */
const LAB_FOLDER = /^\d+-[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * A lab shows its files as the program's source and runs them: a symbolic link that leads out of the
 * lab folder (to /etc/passwd, say) would show and run what is not the lab. Links inside it are fine.
 * Dot files are left out, as the lab's digest leaves them out.
 */
function refuseLinksOut(labDir: string): void {
  const root = realpathSync(labDir);
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      if (!entry.isSymbolicLink()) continue;
      let target: string;
      try {
        target = realpathSync(path);
      } catch {
        throw new LabFileError(
          path,
          1,
          `${relative(labDir, path)} is a symbolic link to ${readlinkSync(path)}, which does not exist. Fix: put the file itself there`,
        );
      }
      if (target !== root && !target.startsWith(root + sep))
        throw new LabFileError(
          path,
          1,
          `${relative(labDir, path)} is a symbolic link to ${target}, outside the lab folder: a lab shows and runs only its own files. Fix: copy the file into ${labDir}`,
        );
    }
  };
  walk(labDir);
}

async function loadLab(dir: string, labId: string, compiledDir: string): Promise<LoadedLab> {
  refuseLinksOut(dir);
  const labFile = join(dir, 'lab.md');
  if (!isFile(labFile)) throw new LabFileError(labFile, 1, 'a lab folder needs a lab.md (frontmatter: title, summary, objectives, scenarios)');
  const labDoc = readFrontmatter(labFile);
  const meta = parseWith(labSchema, labFile, labDoc);

  const scenarios: Scenario[] = Object.entries(meta.scenarios).map(([scenarioId, s]) => ({ id: scenarioId, ...s, params: s.params as ParamSpec[] }));
  for (const scenario of scenarios) {
    for (const [index, program] of scenario.programs.entries()) {
      if (!isFile(join(dir, program.program)))
        throw new LabFileError(
          labFile,
          labDoc.lineOf(['scenarios', scenario.id, 'programs', index, 'program']),
          `program ${program.program} is not a file in ${dir}`,
        );
      // lab-run.ts runs the compiled file: without it every process would fail to start, and the run blame the student.
      const compiled = join(compiledDir, program.program.replace(/\.ts$/, '.js'));
      if (!existsSync(compiled))
        throw new LabFileError(
          labFile,
          labDoc.lineOf(['scenarios', scenario.id, 'programs', index, 'program']),
          `program ${program.program} is not built (${compiled} is missing). Fix: run npm run build`,
        );
    }
  }

  const checksFile = checksFileOf(compiledDir);
  let checks: LabChecks = {};
  if (isFile(join(dir, 'checks.ts'))) {
    if (!existsSync(checksFile))
      throw new LabFileError(join(dir, 'checks.ts'), 1, `checks are not compiled (${checksFile} is missing). Fix: run npm run build`);
    checks = ((await import(pathToFileURL(checksFile).href)) as { default: LabChecks }).default;
    checkChartDeclarations(join(dir, 'checks.ts'), checks);
  }

  const stepsDir = join(dir, 'steps');
  const stepFiles = existsSync(stepsDir)
    ? readdirSync(stepsDir)
        .filter((f) => f.endsWith('.md') && isFile(join(stepsDir, f)))
        .sort()
    : [];
  meta.quiz.forEach((q, index) => {
    if (meta.quiz.findIndex((other) => other.id === q.id) !== index)
      throw new LabFileError(labFile, labDoc.lineOf(['quiz', index, 'id']), `two quiz questions have the id "${q.id}": answers are kept by it`);
    if (q.type === 'number' && q.measurement !== undefined)
      throw new LabFileError(
        labFile,
        labDoc.lineOf(['quiz', index, 'measurement']),
        `quiz question "${q.id}": a quiz has no run to measure; give a fixed answer: instead`,
      );
  });
  const quiz = meta.quiz.map((q, index) => toQuestion(q, (at) => labDoc.lineOf(['quiz', index, ...at]), [], {}, labFile, null));

  const steps: LabStep[] = stepFiles.map((fileName) => {
    const file = join(stepsDir, fileName);
    const doc = readFrontmatter(file);
    const step = parseWith(stepSchema, file, doc);
    const scenario = scenarios.find((s) => s.id === step.scenario);
    if (!scenario)
      throw new LabFileError(
        file,
        doc.lineOf(['scenario']),
        `scenario "${step.scenario}" is not defined in lab.md (defined: ${scenarios.map((s) => s.id).join(', ')})`,
      );
    const checkParams = (params: Record<string, unknown>, at: (string | number)[]): void => {
      for (const [name, value] of Object.entries(params)) {
        const spec = scenario.params.find((p) => p.name === name);
        const problem = spec ? paramProblem(spec, value) : `scenario "${scenario.id}" has no parameter "${name}"`;
        if (problem) throw new LabFileError(file, doc.lineOf([...at, name]), problem);
      }
    };
    checkParams(step.params, ['params']);
    for (const [name, values] of Object.entries(step.randomise)) {
      const spec = scenario.params.find((p) => p.name === name);
      const where = (at: (string | number)[]) => doc.lineOf(['randomise', name, ...at]);
      if (!spec)
        throw new LabFileError(
          file,
          where([]),
          `randomise: scenario "${scenario.id}" has no parameter "${name}" (its parameters: ${scenario.params.map((p) => p.name).join(', ') || 'none'})`,
        );
      values.forEach((value, index) => {
        const problem = paramProblem(spec, value);
        if (problem) throw new LabFileError(file, where([index]), `randomise: ${problem}`);
        if (values.findIndex((other) => other === value) !== index)
          throw new LabFileError(file, where([index]), `randomise: "${name}" lists ${shownValue(value)} twice (each value must be as likely as the others)`);
      });
      if (Object.hasOwn(step.params, name) && !values.includes(step.params[name] as ParamValue))
        throw new LabFileError(
          file,
          doc.lineOf(['params', name]),
          `params: "${name}" is ${JSON.stringify(step.params[name])}, which is not one of the values it is randomised over (${values.map((v) => JSON.stringify(v)).join(', ')}): use one of them, or leave it out`,
        );
    }
    // Every {name} in the step's text must be a parameter of its scenario: the page fills it in.
    const checkTemplates = (text: string, line: (template: { index: number }) => number, what: string): void => {
      for (const template of templatesIn(text)) {
        const problem = templateProblem(template.expression, scenario.params);
        if (problem) throw new LabFileError(file, line(template), `${what}: ${problem}`);
      }
    };
    checkTemplates(doc.body, (t) => doc.bodyLine + doc.body.slice(0, t.index).split('\n').length - 1, 'the step text');
    step.hints.forEach((hint, index) => checkTemplates(hint, () => doc.lineOf(['hints', index]), `hint ${index + 1}`));
    step.questions.forEach((q, index) => {
      for (const { path, text } of questionTexts(q)) checkTemplates(text, () => doc.lineOf(['questions', index, ...path]), `question "${q.id}"`);
    });
    step.checks.forEach((checkId, index) => {
      if (!checks[checkId])
        throw new LabFileError(
          file,
          doc.lineOf(['checks', index]),
          `check "${checkId}" is not defined in checks.ts (defined: ${Object.keys(checks).join(', ') || 'none'})`,
        );
    });
    step.variants.forEach((variant, index) => {
      checkParams(variant.params, ['variants', index, 'params']);
      variant.fails.forEach((checkId, at) => {
        if (!step.checks.includes(checkId))
          throw new LabFileError(
            file,
            doc.lineOf(['variants', index, 'fails', at]),
            `variant "${variant.name}" expects check "${checkId}" to fail, but the step does not run it (its checks: ${step.checks.join(', ') || 'none'})`,
          );
      });
    });
    step.questions.forEach((q, index) => {
      if (step.questions.findIndex((other) => other.id === q.id) !== index)
        throw new LabFileError(file, doc.lineOf(['questions', index, 'id']), `two questions have the id "${q.id}": answers are kept by it`);
    });
    const controls = step.variants.filter((v) => v.control);
    if (controls.length > 1)
      throw new LabFileError(file, doc.lineOf(['variants', step.variants.indexOf(controls[1]!), 'control']), 'a step has at most one control variant');
    return {
      id: stepIdOf(fileName),
      title: step.title,
      scenario: step.scenario,
      params: step.params,
      randomise: step.randomise,
      checks: step.checks.map((checkId) => ({ id: checkId, title: checks[checkId]!.title })),
      variants: step.variants.map((v) => ({ name: v.name, params: v.params, fails: v.fails })),
      body: doc.body,
      questions: step.questions.map((q, index) => toQuestion(q, (at) => doc.lineOf(['questions', index, ...at]), step.checks, checks, file, scenario.params)),
      control: controls[0]?.name ?? null,
      hints: step.hints,
    };
  });
  if (steps.length === 0) throw new LabFileError(labFile, 1, 'the lab has no steps: add steps/01-<name>.md files');
  const quizStep = steps.find((s) => s.id === QUIZ_STEP);
  if (quizStep)
    throw new LabFileError(join(stepsDir, stepFiles[steps.indexOf(quizStep)]!), 1, `"${QUIZ_STEP}" names the lab's quiz: give the step another name`);

  const programsDir = join(dir, 'programs');
  const programs = existsSync(programsDir)
    ? readdirSync(programsDir)
        .filter((f) => f.endsWith('.ts') && isFile(join(programsDir, f)))
        .sort()
        .map((f): ProgramSource => ({ path: `programs/${f}`, source: readFileSync(join(programsDir, f), 'utf8'), origin: 'lab' }))
    : [];
  if (isFile(join(dir, 'checks.ts'))) programs.push({ path: 'checks.ts', source: readFileSync(join(dir, 'checks.ts'), 'utf8'), origin: 'lab' });
  meta.library.forEach((path, index) => {
    const file = join(findProjectRoot(), path);
    if (!isFile(file)) throw new LabFileError(labFile, labDoc.lineOf(['library', index]), `library file ${path} does not exist`);
    programs.push({ path, source: readFileSync(file, 'utf8'), origin: 'library' });
  });

  return {
    id: labId,
    version: labDigest(
      dir,
      meta.library.map((path) => ({ path, file: join(findProjectRoot(), path) })),
    ),
    title: meta.title,
    summary: meta.summary,
    objectives: meta.objectives,
    platforms: meta.platforms,
    intro: labDoc.body,
    steps,
    quiz,
    scenarios,
    programs,
    dir,
    compiledDir,
    checks,
  };
}

/**
 * Every chart a check of checks.ts declares must be drawable (check-charts.ts). The problem points at
 * the line of checks.ts that names the chart (the compiled module knows no lines), else the check's.
 */
function checkChartDeclarations(checksTs: string, checks: LabChecks): void {
  const lines = readFileSync(checksTs, 'utf8').split('\n');
  // A key as checks.ts writes it: quoted ('speed-up') or bare (speedup:).
  const lineNaming = (name: string, after = 0): number | undefined => {
    const index = lines.findIndex((line, i) => i >= after && [`'${name}'`, `"${name}"`, `${name}:`].some((key) => line.includes(key)));
    return index < 0 ? undefined : index;
  };
  for (const [checkId, definition] of Object.entries(checks)) {
    for (const [chartId, declaration] of Object.entries(definition.charts ?? {})) {
      const problem = chartDeclarationProblem(checkId, chartId, declaration);
      if (!problem) continue;
      const checkLine = lineNaming(checkId);
      const line = lineNaming(chartId, checkLine ?? 0) ?? checkLine;
      throw new LabFileError(checksTs, (line ?? 0) + 1, problem);
    }
  }
}

/**
 * A question as the contract holds it, after the checks YAML alone cannot make: a
 * measurement one of the step's checks declares in the question's unit, choices with a right option
 * and a reason for each wrong one.
 */
function toQuestion(
  q: z.output<typeof questionSchema>,
  lineOf: (path: (string | number)[]) => number,
  stepChecks: string[],
  checks: LabChecks,
  file: string,
  /** The step's scenario's parameters, or null for the lab's quiz, which has none. */
  params: ParamSpec[] | null,
): Question {
  const problem = (at: (string | number)[], message: string): never => {
    throw new LabFileError(file, lineOf(at), `question "${q.id}": ${message}`);
  };
  if (params === null)
    for (const { path, text } of questionTexts(q)) {
      const template = templatesIn(text)[0];
      if (template) problem(path, `${template.source}: a quiz has no parameters to fill in; write the value itself`);
    }
  const text = { id: q.id, prompt: q.prompt, explanation: q.explanation };
  switch (q.type) {
    case 'number': {
      if (q.measurement !== undefined) {
        const measuredBy = stepChecks.find((c) => checks[c]?.measures?.[q.measurement!]);
        if (!measuredBy) {
          const offered = stepChecks.flatMap((c) => Object.keys(checks[c]?.measures ?? {}));
          problem(['measurement'], `no check of the step measures "${q.measurement}" (measured: ${offered.join(', ') || 'nothing'})`);
        }
        const unit = checks[measuredBy!]!.measures![q.measurement]!.unit;
        if (unit !== q.unit) problem(['unit'], `the answer is in ${q.unit}, but check "${measuredBy}" measures ${q.measurement} in ${unit}`);
      }
      let formula: string | undefined;
      if (typeof q.answer === 'string') {
        const [template, ...more] = templatesIn(q.answer);
        if (!template || more.length > 0 || template.source !== q.answer.trim())
          problem(['answer'], `answer: "${q.answer}" is neither a number nor one template over the run's parameters, such as "{slots}"`);
        if (params === null) problem(['answer'], `${q.answer}: a quiz has no parameters; give the number itself`);
        const wrong = templateProblem(template!.expression, params!, true);
        if (wrong) problem(['answer'], wrong);
        formula = template!.expression;
      }
      return {
        ...text,
        type: 'number',
        unit: q.unit,
        expected: q.measurement !== undefined ? { measurement: q.measurement } : formula !== undefined ? { formula } : { value: q.answer as number },
        right: toTolerance(q.tolerance),
        close: q.close === undefined ? null : toTolerance(q.close),
      };
    }
    case 'choice': {
      const options = q.options.map((o, i) => ({ id: o.id ?? String.fromCharCode(97 + i), text: o.text, correct: o.correct, why: o.why ?? null }));
      const right = options.filter((o) => o.correct).length;
      if (right === 0) problem(['options'], 'no option is marked correct: true');
      if (right > 1 && !q.multiple) problem(['options'], `${right} options are correct: add multiple: true, or mark one`);
      options.forEach((o, i) => {
        if (!o.correct && o.why === null) problem(['options', i], `option "${o.text}" is wrong: give its why: (the misconception choosing it reveals)`);
        if (options.findIndex((other) => other.id === o.id) !== i) problem(['options', i], `two options have the id "${o.id}"`);
      });
      return { ...text, type: 'choice', multiple: q.multiple, options };
    }
    case 'order':
      q.items.forEach((item, i) => {
        if (q.items.findIndex((other) => other.id === item.id) !== i) problem(['items', i], `two items have the id "${item.id}"`);
      });
      return { ...text, type: 'order', items: q.items };
    case 'text':
      return { ...text, type: 'text', maxLength: q.maxLength };
  }
}

function toTolerance(written: number | string): Tolerance {
  return typeof written === 'number' ? { absolute: written } : { relative: Number(written.slice(0, -1)) / 100 };
}

/** The longest a refused value is quoted in a message: a lab file's 1 MB string must not make a 1 MB problem line. */
const SHOWN_VALUE_MAX_CHARS = 80;

/** A value as a message quotes it (JSON), cut to SHOWN_VALUE_MAX_CHARS with its full length said. */
function shownValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= SHOWN_VALUE_MAX_CHARS ? text : `${text.slice(0, SHOWN_VALUE_MAX_CHARS)}... (${text.length} characters)`;
}

/** Why a value is not allowed for a parameter, or undefined when it is. */
export function paramProblem(spec: ParamSpec, value: unknown): string | undefined {
  switch (spec.type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return `"${spec.name}" must be a whole number (got ${shownValue(value)})`;
      if (value < spec.min || value > spec.max)
        return `"${spec.name}" must be between ${spec.min} and ${spec.max}${spec.unit ? ' ' + spec.unit : ''} (got ${value})`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `"${spec.name}" must be true or false (got ${shownValue(value)})`;
    case 'choice':
      return typeof value === 'string' && spec.options.includes(value)
        ? undefined
        : `"${spec.name}" must be one of ${spec.options.join(', ')} (got ${shownValue(value)})`;
  }
}

/** Loads every lab folder under `labsDir`; `compiledRoot` holds their compiled programs (dist/labs). */
export async function loadLabs(labsDir: string, compiledRoot: string): Promise<LabCatalogue> {
  const labs: LoadedLab[] = [];
  const problems: LabProblem[] = [];
  const folders = existsSync(labsDir)
    ? readdirSync(labsDir)
        .filter((f) => statSync(join(labsDir, f)).isDirectory())
        .sort()
    : [];
  for (const folder of folders) {
    const labId = folder.replace(/^\d+-/, '');
    try {
      if (!LAB_FOLDER.test(folder))
        throw new LabFileError(
          join(labsDir, folder),
          1,
          `a lab folder is named <number>-<lab id>, the id in lower-case letters, digits and dashes (like 01-ordinary-pipes): "${folder}" is not. Fix: rename the folder`,
        );
      labs.push(await loadLab(join(labsDir, folder), labId, join(compiledRoot, folder)));
    } catch (error) {
      if (error instanceof LabFileError) problems.push({ file: relative(dirname(labsDir), error.file), line: error.line, message: error.message });
      else problems.push({ file: join(labsDir, folder), line: 1, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return { labs, problems };
}
