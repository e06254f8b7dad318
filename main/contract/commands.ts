/**
 * The one contract between the UI and the engine, whichever host carries it (Electron IPC or the
 * browser host's WebSocket). GitHub Desktop's ipc-shared.ts, one step further: every request is also
 * checked at run time with zod, because values from the page end up in spawn() and buffer sizes.
 *
 * - Commands: the UI asks, the engine answers once. `commandSchemas` checks requests;
 *   `CommandResponses` types answers.
 * - Events: the engine pushes, the UI listens. A host queues them until the UI says it is ready.
 *
 * Wire format, the same for both hosts:
 *   request  { id, command, request }            UI -> engine
 *   response { id, ok: true, response } | { id, ok: false, error: ErrorInfo }
 *   event    { event, payload }                  engine -> UI
 */
import { z } from 'zod';
import type { ErrorInfo } from './errors.js';
import { PREDICTION_MAX_LENGTH } from './lab-model.js';
import type { Grade, Lab, LabProblem, LabSummary, RunSummary, RunVariant, SavedAnswer, SessionSummary, StepMastery, StepProgress } from './lab-model.js';
import type { StudentIdentity } from './report-format.js';
import { MAX_TRACE_LINE_BYTES, type StoredEvent } from './trace-events.js';

const labId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a lab id is lower-case letters, digits and dashes');
const stepId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a step id is lower-case letters, digits and dashes');
const runId = z.number().int().positive();
/** What `report.export` can write in every host (PDF is the host's: Electron prints, the browser prints, the CLI asks Chromium). */
export const REPORT_FILE_FORMATS = ['html', 'json'] as const;
export const TRACE_FILE_FORMATS = ['perfetto', 'csv'] as const;
/** The longest name a request may give (a scenario, a question, a parameter); the lab loader refuses longer ones in lab files. */
export const NAME_MAX_CHARS = 64;
/** The longest text value a parameter may have (a choice's option); the lab loader refuses longer options. */
export const PARAM_TEXT_MAX_CHARS = 200;
const paramValue = z.union([z.number().finite(), z.boolean(), z.string().max(PARAM_TEXT_MAX_CHARS)]);
const paramRecord = z.record(z.string().max(NAME_MAX_CHARS), paramValue);
/**
 * A run's parameter values, name to value. z.record drops an own "__proto__" key (the wire's JSON.parse
 * makes one), and the run would start with the defaults while "constructor" gets "Unknown parameter":
 * this checks the record as z.record does, the "__proto__" value too, and passes the object on
 * unchanged, so the engine names every key it does not know the same way.
 */
const paramValues = z.custom<Record<string, z.input<typeof paramValue>>>().superRefine((value, ctx) => {
  const issues = paramRecord.safeParse(value).error?.issues ?? [];
  if (issues.length === 0 && Object.hasOwn(value, '__proto__'))
    for (const issue of paramValue.safeParse(value.__proto__).error?.issues ?? []) issues.push({ ...issue, path: ['__proto__', ...issue.path] });
  for (const issue of issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
});

/**
 * `runs.get` answers a run's events a page at a time, so that no one answer carries a whole large trace:
 * issue 11 found 30 unread answers of one 95k-event run (14 MB each) taking the browser host from 368 MB
 * to 1.4 GB. A page holds at most RUN_EVENTS_PAGE_EVENTS events, and ends early once the events' stored
 * text reaches RUN_EVENTS_PAGE_BYTES (a page has at least one event, and one is at most
 * MAX_TRACE_LINE_BYTES). Measured over a run of every lab: an io.begin/io.end is about 125 bytes stored
 * and 150 on the wire (runId and seq added); the largest kinds are kernel.snapshot (up to 2.4 KB) and
 * message.bytes (up to 2.1 KB), of which the text budget lets about 870 into a page. A page of the
 * pipes lab's 95k-event run is 0.74 MB on the wire, and no page passes RUN_EVENTS_PAGE_MAX_WIRE_BYTES
 * (2.3 MB), well under the browser host's 8 MiB slow-client limit (main/hosts/browser/browser-host.ts).
 */
export const RUN_EVENTS_PAGE_EVENTS = 5000;
export const RUN_EVENTS_PAGE_BYTES = 2 * 1024 * 1024;
/**
 * What one page's events can take as JSON on the wire, at most: the text budget, one event past it, and
 * `,"runId":…,"seq":…` (at most 50 bytes with any safe integers) on each event. The run summary comes on top.
 */
export const RUN_EVENTS_PAGE_MAX_WIRE_BYTES = RUN_EVENTS_PAGE_BYTES + MAX_TRACE_LINE_BYTES + RUN_EVENTS_PAGE_EVENTS * 50;

export const commandSchemas = {
  /** The catalogue, with each lab's progress, and what went wrong loading any lab. */
  'labs.list': z.object({}).strict(),
  /** One lab in full, with the student's progress and answers. */
  'labs.get': z.object({ labId }).strict(),
  /** Start a run of a scenario. Parameters are checked against the scenario's ranges. */
  'runs.start': z
    .object({
      labId,
      scenarioId: z.string().max(NAME_MAX_CHARS),
      stepId: stepId.optional(),
      params: paramValues.default({}),
    })
    .strict(),
  /** Stop a run: SIGTERM to its processes, SIGKILL after a grace period. */
  'runs.stop': z.object({ runId }).strict(),
  /**
   * A run's summary and one page of its events after `afterSeq` (0: from the first), for a page that
   * opens while a run goes on, or after: at most `limit` events (RUN_EVENTS_PAGE_EVENTS, and the text
   * budget, bound it). The answer's `nextSeq` is the afterSeq of the next page.
   */
  'runs.get': z
    .object({
      runId,
      afterSeq: z.number().int('afterSeq is a whole number').min(0, 'afterSeq is a seq, 0 or more').max(Number.MAX_SAFE_INTEGER).default(0),
      limit: z
        .number()
        .int('limit is a whole number')
        .min(1, `limit is a number of events from 1 to ${RUN_EVENTS_PAGE_EVENTS}`)
        .max(RUN_EVENTS_PAGE_EVENTS, `limit is a number of events from 1 to ${RUN_EVENTS_PAGE_EVENTS}`)
        .default(RUN_EVENTS_PAGE_EVENTS),
    })
    .strict(),
  /** Save the student's prediction or observation for a step. */
  'answers.save': z.object({ labId, stepId, text: z.string().max(PREDICTION_MAX_LENGTH) }).strict(),
  /**
   * Save the student's answer to one of a step's questions, or of the lab's quiz with stepId "quiz" (null: skip it). Every version is kept: the
   * one a run tested never changes, and an edit after a run is what the next run tests.
   */
  'questions.answer': z
    .object({
      labId,
      stepId,
      questionId: z.string().max(NAME_MAX_CHARS),
      value: z.union([z.number(), z.string().max(20_000), z.array(z.string().max(64)).max(64), z.null()]),
    })
    .strict(),
  /** The lab's quiz graded: the last saved answer to each of its questions (saved with questions.answer, stepId "quiz"). */
  'quiz.grade': z.object({ labId }).strict(),
  /** How a run's answers compare with what it measured: one grade per question of its step. */
  'runs.grade': z.object({ runId }).strict(),
  /** Past sessions, newest first. */
  'sessions.list': z.object({}).strict(),
  /** Runs, newest first: all, one lab's, or one step's. */
  'runs.list': z.object({ labId: labId.optional(), stepId: stepId.optional(), limit: z.number().int().min(1).max(1000).default(200) }).strict(),
  /** The run going on now, if any (a page that opens, or reloads, during a run reattaches to it). */
  'runs.active': z.object({}).strict(),
  /** Whether the engine can store new work: `problem` says why not (the disk holding the data folder is full), else null. */
  'storage.get': z.object({}).strict(),
  /** The student's name and id as the reports carry them, or null before they were given. */
  'identity.get': z.object({}).strict(),
  /** Keep the student's name (a pseudonym is allowed) and optional student id for reports. */
  'identity.set': z
    .object({
      name: z.string().trim().min(1, 'a name is needed (a pseudonym will do)').max(200),
      studentId: z.string().trim().max(100).nullable().default(null),
    })
    .strict(),
  /**
   * A session report (main/contract/report-format.ts): of one lab or of all. `allowEmpty` asks for a
   * valid report even when no step was run; otherwise that is refused with a message.
   */
  'report.export': z
    .object({
      labId: labId.optional(),
      format: z.enum(REPORT_FILE_FORMATS),
      full: z.boolean().default(false),
      allowEmpty: z.boolean().default(false),
    })
    .strict(),
  /** One run's trace as a file: Chrome Trace Event Format JSON (opens in Perfetto UI) or CSV. */
  'trace.export': z.object({ runId, format: z.enum(TRACE_FILE_FORMATS) }).strict(),
} as const;

export type CommandName = keyof typeof commandSchemas;
export const COMMAND_NAMES = Object.keys(commandSchemas) as CommandName[];

/** What the UI sends (defaults may be left out). */
export type CommandRequest<C extends CommandName> = z.input<(typeof commandSchemas)[C]>;
/** What the engine receives after checking (defaults filled in). */
export type CheckedRequest<C extends CommandName> = z.output<(typeof commandSchemas)[C]>;

export interface CommandResponses {
  'labs.list': { labs: LabSummary[]; problems: LabProblem[] };
  /** `quizAnswers`: every saved version of the answers to the lab's quiz, oldest first. */
  'labs.get': { lab: Lab; progress: Record<string, StepProgress>; lastRun: RunSummary | null; quizAnswers: SavedAnswer[] };
  'runs.start': { run: RunSummary };
  'runs.stop': { run: RunSummary };
  /**
   * `events`: one page, in seq order. `nextSeq`: pass it as afterSeq for the next page; null when this
   * page ends at the last event stored so far (a run still going stores more: they come by trace:batch).
   */
  'runs.get': { run: RunSummary; events: StoredEvent[]; nextSeq: number | null };
  'answers.save': { saved: true };
  /** `note`: set when the edit came after a run tested an earlier version, which stays as it was. */
  'questions.answer': { saved: SavedAnswer; note: string | null };
  'quiz.grade': { grades: Grade[] };
  /**
   * `grades`: empty for a run of no step; `control`: set when the run was its step's control, and
   * whether it came out as a control should (the checks it names failed); `mastery`: the step's.
   */
  'runs.grade': { grades: Grade[]; variant: RunVariant | null; mastery: StepMastery | null };
  'sessions.list': { sessions: SessionSummary[] };
  'runs.list': { runs: RunSummary[] };
  'runs.active': { run: RunSummary | null };
  'storage.get': { problem: string | null };
  'identity.get': { student: StudentIdentity | null };
  'identity.set': { student: StudentIdentity };
  'report.export': ExportedFile;
  'trace.export': ExportedFile;
}

/**
 * What a host that saves PDFs itself (the Electron host: main/hosts/electron/print-report.ts) answers:
 * where the PDF went, or that the student closed the save dialog without choosing a place.
 */
export type SavedPdf = { saved: true; path: string } | { saved: false };

/** A file for the user to save: the host or the page offers it under `fileName`. */
export interface ExportedFile {
  fileName: string;
  mimeType: string;
  content: string;
}

export type CommandResponse<C extends CommandName> = CommandResponses[C];

/** Events the engine pushes. */
export interface EngineEvents {
  /** New trace events of a run, in sequence order, at most ~30 batches a second. */
  'trace:batch': { runId: number; events: StoredEvent[] };
  /** A run's status, processes or checks changed. */
  'run:updated': { run: RunSummary };
}

export type EventName = keyof EngineEvents;
export const EVENT_NAMES: EventName[] = ['trace:batch', 'run:updated'];

/** The one interface the renderer talks to; it does not know which host is behind it. */
export interface Bridge {
  call<C extends CommandName>(command: C, request: CommandRequest<C>): Promise<CommandResponse<C>>;
  on<E extends EventName>(event: E, listener: (payload: EngineEvents[E]) => void): () => void;
}

export type WireRequest = { id: number; command: string; request: unknown };
export type WireResponse = { id: number; ok: true; response: unknown } | { id: number; ok: false; error: ErrorInfo };
export type WireEvent = { event: EventName; payload: unknown };

export { BridgeError } from './errors.js';

/**
 * Sent once by the UI when its listeners are attached. Until then a host queues pushed events, so
 * nothing the engine says during start-up is lost (Electron Fiddle does the same).
 */
export type WireReady = { ready: true };
