/**
 * The attacher of the "segment" scenario. It is not the creator's child: it finds the segment by its
 * name alone, maps it, and from then on reads and writes the creator's memory directly.
 *
 * mapping "private" maps it MAP_PRIVATE instead (mmap(2)): copy-on-write. The attacher still reads
 * the creator's greeting (its page is the segment's until the attacher first stores into it), but its
 * first store gives it a private copy of the page: the reply never reaches the creator.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { readText, writeText, STATE, GREETING, REPLY, waitForState } from './board.js';

const mapping = lab.choice('mapping') === 'private' ? 'private' : 'shared';
// The two programs start at the same time: the segment may not exist yet.
let segment: SharedSegment | undefined;
for (let attempt = 0; !segment; attempt++) {
  try {
    segment = SharedSegment.attach(lab.shmName('board'), mapping);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 500) throw error;
    if (attempt === 0) lab.note('the segment does not exist yet; trying again');
    lab.sleep(10);
  }
}
lab.emit('object.open', {
  channel: 'board',
  object: { type: 'shm', name: segment.path },
  detail: `shm_open + mmap(${mapping === 'shared' ? 'MAP_SHARED' : 'MAP_PRIVATE'}) of ${segment.size} bytes`,
});

if (!waitForState(segment, 1, 'board: greeting', 10_000)) process.exit(1);
lab.note(`read "${readText(segment, GREETING)}" from offset ${GREETING}`);

const reply = `hello back from the attacher (pid ${process.pid})`;
writeText(segment, REPLY, reply);
// The creator keeps the segment mapped until it sees state 2 (or gives up): both have it mapped now.
lab.snapshot('both processes have the segment mapped');
segment.store(STATE, 2);
segment.wake(STATE, 1);
lab.note(`stored "${reply}" at offset ${REPLY}`);

lab.sleep(lab.int('holdMs'));
segment.detach();
