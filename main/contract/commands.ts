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
import type { MarkKind } from './trace-marks.js';

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

/**
 * Windowed trace queries (issue 13): the page asks for what to draw of a time window, never for the
 * whole trace. Times in these commands are nanoseconds since the run's start (its `startTs`), as JSON
 * numbers: whole numbers, exact up to 2^53 ns (104 days), far past any run. Negative values are allowed
 * (an event may be stamped a little before the run's start); a window past the end is simply empty.
 *
 * A `trace.window` answer holds at most TRACE_WINDOW_MAX_ITEMS items (raw marks, bars, arrows, level
 * points, or buckets), whatever the window and the run: the engine widens its buckets until it fits.
 */
export const TRACE_WINDOW_MAX_ITEMS = 5000;
export const TRACE_WINDOW_MAX_WIDTH = 8192;
/** The most events one `trace.events` page holds (the page's text budget, RUN_EVENTS_PAGE_BYTES, may end it sooner). */
export const TRACE_EVENTS_PAGE_MAX = 1000;
/** The longest text a `trace.events` search may give. */
export const TRACE_SEARCH_MAX_CHARS = 200;

const relativeNs = (field: string) =>
  z
    .number()
    .int(`${field} is a whole number of nanoseconds since the run started`)
    .min(-Number.MAX_SAFE_INTEGER, `${field} is nanoseconds since the run started, a safe integer`)
    .max(Number.MAX_SAFE_INTEGER, `${field} is nanoseconds since the run started, a safe integer`);
const eventSeq = z.number().int('seq is a whole number').min(1, "seq is an event's sequence number, from 1").max(Number.MAX_SAFE_INTEGER);
const traceFilter = z
  .object({
    pids: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(2 ** 31),
      )
      .max(256, 'pids lists at most 256 processes')
      .optional(),
    kinds: z.array(z.string().max(NAME_MAX_CHARS)).max(64, 'kinds lists at most 64 event kinds').optional(),
    channel: z.string().max(PARAM_TEXT_MAX_CHARS).optional(),
    text: z
      .string()
      .min(1, 'text is what to search for; leave it out to search nothing')
      .max(TRACE_SEARCH_MAX_CHARS, `text is at most ${TRACE_SEARCH_MAX_CHARS} characters`)
      .optional(),
  })
  .strict();

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
      /**
       * Only events of these kinds (a large run's page asks for the few it keeps whole). Such a page
       * reads a bounded stretch of the run: it may hold no event while `nextSeq` is not yet null.
       */
      kinds: z
        .array(z.string().max(NAME_MAX_CHARS))
        .min(1, 'kinds lists at least one event kind; leave it out for every kind')
        .max(64, 'kinds lists at most 64 event kinds')
        .optional(),
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
  /**
   * What the timeline draws of the window [fromNs, toNs) at `width` pixels: per lane the raw marks and
   * bars when they are few, else buckets of about one pixel; the same for arrows and occupancy tracks.
   */
  'trace.window': z
    .object({
      runId,
      fromNs: relativeNs('fromNs'),
      toNs: relativeNs('toNs'),
      width: z
        .number()
        .int('width is a whole number of pixels')
        .min(1, `width is the window's width in pixels, from 1 to ${TRACE_WINDOW_MAX_WIDTH}`)
        .max(TRACE_WINDOW_MAX_WIDTH, `width is the window's width in pixels, from 1 to ${TRACE_WINDOW_MAX_WIDTH}`),
    })
    .strict(),
  /**
   * One page of a run's events in time order (ts, then seq), among those the filter keeps: from an event
   * (`seq`, included going forward), from a time (`ts`: the first event at or after it), or from a
   * position among the filtered events (`index`). `backward` gives the `limit` events before that point
   * instead. Filters: any of `pids`, any of `kinds`, the event's `channel` field, and `text`, a substring
   * of the event's stored JSON (SQLite LIKE: case-insensitive for ASCII letters only).
   */
  'trace.events': z
    .object({
      runId,
      from: z.union([
        z.object({ seq: eventSeq }).strict(),
        z.object({ ts: relativeNs('from.ts') }).strict(),
        z.object({ index: z.number().int('index is a whole number').min(0, 'index is a position from 0').max(Number.MAX_SAFE_INTEGER) }).strict(),
      ]),
      direction: z.enum(['forward', 'backward']).default('forward'),
      limit: z
        .number()
        .int('limit is a whole number')
        .min(1, `limit is a number of events from 1 to ${TRACE_EVENTS_PAGE_MAX}`)
        .max(TRACE_EVENTS_PAGE_MAX, `limit is a number of events from 1 to ${TRACE_EVENTS_PAGE_MAX}`)
        .default(200),
      filter: traceFilter.default({}),
    })
    .strict(),
  /**
   * The first event after (`next`) or the last before (`previous`) the moment `ts` (with `seq`, the
   * event at `ts` to step past: events at the same ts are ordered by seq), of `kind` and `pid` if given.
   */
  'trace.find': z
    .object({
      runId,
      ts: relativeNs('ts'),
      seq: eventSeq.optional(),
      kind: z.string().max(NAME_MAX_CHARS).optional(),
      pid: z
        .number()
        .int()
        .min(0)
        .max(2 ** 31)
        .optional(),
      direction: z.enum(['next', 'previous']),
    })
    .strict(),
  /** A message.send's message.receive, or the other way round (a TCP socket.connect's socket.accept too): the arrow's other end. */
  'trace.follow': z.object({ runId, seq: eventSeq }).strict(),
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
  'runs.get': {
    run: RunSummary;
    events: StoredEvent[];
    nextSeq: number | null;
    /** How many events the run has stored so far (a page decides from it whether to hold the run whole). */
    stored: number;
  };
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
  'trace.window': TraceWindow;
  /**
   * `index`: the position of events[0] among the filtered events (from 0; with no events, where they
   * would be); `total`: how many events the filter keeps in the run as stored so far.
   */
  'trace.events': { events: StoredEvent[]; index: number; total: number };
  /** `event`: null when there is none that way; `t` is its time in ns since the run started. */
  'trace.find': { event: StoredEvent | null; t: number | null };
  /** `partner`: null while the other end is not stored (a message not yet received, or lost). */
  'trace.follow': { event: StoredEvent; partner: StoredEvent | null };
}

/**
 * The answer to `trace.window`. Every time is in ns since the run's start. Buckets are whole and
 * aligned to the run's start: bucket `t0` covers [t0, t0 + bucketNs), so the first and last may reach
 * past the window; `bucketNs` is at least one pixel and less than two.
 */
export interface TraceWindow {
  fromNs: number;
  toNs: number;
  bucketNs: number;
  /** The run's first and last event times (for an overview strip); null before any event is stored. */
  span: { fromNs: number; toNs: number } | null;
  /** One per process, in the order they first appeared in the trace. */
  lanes: TraceWindowLane[];
  /**
   * Message arrows with an end in the window: raw when few, else counted per bucket (by the send's time)
   * and pair of lanes, in buckets of their own `bucketNs` (bucketNs times a power of two: wider when
   * many pairs of lanes share a bucket).
   */
  arrows: { raw: true; items: TraceWindowArrow[] } | { raw: false; bucketNs: number; buckets: TraceArrowBucket[] };
  /** One per buffer that reported its level (buffer.level), in the order they first did. */
  occupancy: TraceWindowTrack[];
}

export type TraceWindowLane = { pid: number; role: string } & (
  { raw: true; marks: TraceWindowMark[]; bars: TraceWindowBar[] } | { raw: false; buckets: TraceLaneBucket[] }
);

export interface TraceWindowMark {
  t: number;
  kind: MarkKind;
  seq: number;
  /** What the timeline writes beside it: 'exit 0', 'SIGKILL', 'EOF', an errno; null for most. */
  label: string | null;
}

/** A call that blocked longer than BLOCKED_THRESHOLD_NS (main/contract/trace-marks.ts). */
export interface TraceWindowBar {
  t0: number;
  t1: number;
  op: string;
  channel: string;
  /** The errno when the call failed instead of returning (io.error), else null. */
  code: string | null;
  /** The io.end or io.error that ended it. */
  seq: number;
}

export interface TraceLaneBucket {
  t0: number;
  /** Marks per kind in the bucket (kinds with none left out). */
  counts: Partial<Record<MarkKind, number>>;
  /** The longest blocked call that overlaps the bucket, or null. */
  longest: TraceWindowBar | null;
}

export interface TraceWindowArrow {
  fromPid: number;
  t0: number;
  toPid: number;
  t1: number;
  channel: string;
  /** The message's id (an RPC's xid, for its call and reply); null for a TCP connection (socket.connect to socket.accept). */
  messageId: number | null;
  fromSeq: number;
  toSeq: number;
}

export interface TraceArrowBucket {
  t0: number;
  fromPid: number;
  toPid: number;
  count: number;
}

export type TraceWindowTrack = { channel: string; capacity: number | null } &
  /** `points`: the levels in the window, after the last one before it (so the line starts at the left edge). */
  ({ raw: true; points: { t: number; used: number }[] } | { raw: false; buckets: { t0: number; min: number; max: number }[] });

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

/**
 * The most events one pushed `trace:batch` carries to a page, whatever rate the run emits at (issue 13):
 * a run may store 100,000 events a second, more than a page can take in; the page draws the rest from
 * windowed queries (`trace.window`, `trace.events`). At ~30 batches a second this bounds what a page
 * receives to ~30,000 events a second (a few MB), under the browser host's slow-client limit.
 */
export const LIVE_BATCH_MAX_EVENTS = 1000;
/**
 * Kinds a pushed batch always carries whole, so that a page that draws a large run from windowed
 * queries still sees every process start and end and everything the kernel view shows. Their number
 * does not grow with a lab's message count (snapshots are taken when a process changes, and stored
 * only when what /proc shows changed). Labelled messages (message.bytes) are kept to the latest
 * LIVE_BATCH_MAX_BYTES_EVENTS per batch: the page shows only the latest of them.
 */
export const LIVE_WHOLE_KINDS: ReadonlySet<string> = new Set([
  'process.start',
  'process.exit',
  'host.spawn',
  'host.exit',
  'child.exit',
  'host.warning',
  'host.cleanup',
  'kernel.snapshot',
  'kernel.objects',
]);
export const LIVE_BATCH_MAX_BYTES_EVENTS = 200;

/** Events the engine pushes. */
export interface EngineEvents {
  /**
   * New trace events of a run, at most ~30 batches a second, in sequence order. When a batch stored more
   * than LIVE_BATCH_MAX_EVENTS events, `events` holds those of LIVE_WHOLE_KINDS, the latest
   * message.bytes and the latest of the rest, up to about that many, and `skipped` says how many were
   * left out; `lastSeq` is the batch's last stored seq either way (the run's stored count so far).
   */
  'trace:batch': { runId: number; events: StoredEvent[]; skipped: number; lastSeq: number };
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
