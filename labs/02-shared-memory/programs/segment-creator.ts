/**
 * The creator of the "segment" scenario.
 *
 * Layout of the 4 KiB segment "board":
 *   offset 0     state (32-bit word): 0 empty, 1 greeting written, 2 reply written
 *   offset 64    the greeting (a length-prefixed UTF-8 string)
 *   offset 1024  the reply
 * The state word is also the futex both processes sleep on while they wait for the other.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';
import { readText, writeText, STATE, GREETING, REPLY, waitForState } from './board.js';

/** The attacher replies within milliseconds of reading the greeting; this long without a reply means it never will. */
const REPLY_TIMEOUT_MS = 4000;

const segment = SharedSegment.create(lab.shmName('board'), 4096);
lab.emit('object.create', { channel: 'board', object: { type: 'shm', name: segment.path }, detail: `shm_open + ftruncate(${segment.size}) + mmap` });

const greeting = `hello from the creator (pid ${process.pid})`;
writeText(segment, GREETING, greeting);
segment.store(STATE, 1);
segment.wake(STATE, 1);
lab.note(`stored "${greeting}" at offset ${GREETING}`);

if (waitForState(segment, 2, 'board: reply', REPLY_TIMEOUT_MS)) lab.note(`read reply "${readText(segment, REPLY)}" from offset ${REPLY}`);
else lab.note(`no reply within ${REPLY_TIMEOUT_MS / 1000} s: nothing the attacher stored reached this segment`);

lab.sleep(lab.int('holdMs'));
segment.unlink();
lab.note(`shm_unlink("${segment.name}"): the name is gone; the memory goes when the last process unmaps it`);
segment.detach();
