/**
 * The attacher of the "segment" scenario. It is not the creator's child: it finds the segment by its
 * name alone, maps it, and from then on reads and writes the creator's memory directly.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { readText, writeText, STATE, GREETING, REPLY, waitForState } from './board.js';

// The two programs start at the same time: the segment may not exist yet.
let segment: SharedSegment | undefined;
for (let attempt = 0; !segment; attempt++) {
  try {
    segment = SharedSegment.attach(lab.shmName('board'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 500) throw error;
    if (attempt === 0) lab.note('the segment does not exist yet; trying again');
    lab.sleep(10);
  }
}
lab.emit('object.open', { channel: 'board', object: { type: 'shm', name: segment.path }, detail: `shm_open + mmap of ${segment.size} bytes` });

waitForState(segment, 1, 'board: greeting');
lab.note(`read "${readText(segment, GREETING)}" from offset ${GREETING}`);

const reply = `hello back from the attacher (pid ${process.pid})`;
writeText(segment, REPLY, reply);
segment.store(STATE, 2);
segment.wake(STATE, 1);
lab.note(`stored "${reply}" at offset ${REPLY}`);

lab.sleep(lab.int('holdMs'));
segment.detach();
