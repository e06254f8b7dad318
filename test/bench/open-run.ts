/**
 * Opening a large finished run over the browser host, as the lab page does: `runs.get` page after page
 * (RUN_EVENTS_PAGE_EVENTS each) over a tab's WebSocket, until `nextSeq` is null. Figures: time to the
 * first page (what the student waits for before the run shows), time to every page, the largest answer
 * on the wire, and the resident memory of this process (engine, host and the client together) before,
 * at its highest while the pages came, and after.
 */
import { RUN_EVENTS_PAGE_EVENTS, RUN_EVENTS_PAGE_MAX_WIRE_BYTES } from '../../main/contract/commands.js';
import { asTab, connectOk } from '../unit/hosts/browser-host-helpers.js';
import { fixed, median, table, thousands } from './bench-stats.js';
import { withBrowserHost } from './latency.js';

const mib = (bytes: number) => `${fixed(bytes / 2 ** 20, 1)} MiB`;

interface Opening {
  firstMs: number;
  allMs: number;
  pages: number;
  events: number;
  largestBytes: number;
  peakRss: number;
}

export async function openRunSection(number: number, floodLabsDir: string, eventsPerProcess: number, repeats: number): Promise<boolean> {
  console.log(`${number}. Opening a large run over the browser host (runs.get page by page, median of ${repeats})`);
  console.log('');
  return withBrowserHost(floodLabsDir, async ({ engine, host }) => {
    await engine.call('runs.start', { labId: 'trace-flood', scenarioId: 'flood', stepId: 'flood', params: { events: eventsPerProcess } });
    const run = await engine.currentRun!.done;
    const stored = engine.store.eventCount(run.runId);
    const tab = await connectOk(host.port, asTab(host.port, host.token));
    const answerBytes = new Map<number, number>();
    tab.ws.on('message', (data: Buffer) => {
      const id = /^\{"id":(\d+),/.exec(data.toString('latin1', 0, 32))?.[1];
      if (id !== undefined) answerBytes.set(Number(id), data.length);
    });
    tab.send({ ready: true });
    let id = 0;
    const rssBefore = process.memoryUsage().rss;
    const openings: Opening[] = [];
    let ok = true;
    for (let r = 0; r < repeats; r++) {
      const started = process.hrtime.bigint();
      const opening: Opening = { firstMs: 0, allMs: 0, pages: 0, events: 0, largestBytes: 0, peakRss: 0 };
      let afterSeq = 0;
      for (;;) {
        const answer = await tab.call(++id, 'runs.get', { runId: run.runId, afterSeq });
        if (!answer.ok) throw new Error(`runs.get failed: ${JSON.stringify(answer.error)}`);
        if (opening.pages === 0) opening.firstMs = Number(process.hrtime.bigint() - started) / 1e6;
        opening.pages++;
        opening.events += (answer.response.events as unknown[]).length;
        opening.largestBytes = Math.max(opening.largestBytes, answerBytes.get(id) ?? 0);
        opening.peakRss = Math.max(opening.peakRss, process.memoryUsage().rss);
        if (answer.response.nextSeq === null) break;
        afterSeq = answer.response.nextSeq as number;
      }
      opening.allMs = Number(process.hrtime.bigint() - started) / 1e6;
      tab.received.length = 0; // the client keeps no answers between openings
      if (opening.events !== stored) {
        console.log(`   PROBLEM: the pages held ${opening.events} events, the run ${stored}`);
        ok = false;
      }
      openings.push(opening);
    }
    await tab.close();
    const rssAfter = process.memoryUsage().rss;
    const last = openings.at(-1)!;
    console.log(
      table(
        ['run', 'pages', 'first page', 'every page', 'largest answer', 'RSS before', 'RSS peak', 'RSS after'],
        [
          [
            `${thousands(stored)} events`,
            `${last.pages} of ≤ ${thousands(RUN_EVENTS_PAGE_EVENTS)}`,
            `${fixed(median(openings.map((o) => o.firstMs)), 1)} ms`,
            `${fixed(median(openings.map((o) => o.allMs)), 0)} ms`,
            `${mib(Math.max(...openings.map((o) => o.largestBytes)))} (bound ${mib(RUN_EVENTS_PAGE_MAX_WIRE_BYTES)})`,
            mib(rssBefore),
            mib(Math.max(...openings.map((o) => o.peakRss))),
            mib(rssAfter),
          ],
        ],
      ),
    );
    console.log('   (RSS is this process: the engine, the browser host and the client that reads the pages.)');
    console.log('');
    return ok;
  });
}
