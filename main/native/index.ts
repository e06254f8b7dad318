/**
 * Typed access to the project's N-API addon (main/native/ipc-lab-native.c, built by `npm install`
 * through binding.gyp into build/Release). Only lab programs and the engine load it; the renderer never.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findProjectRoot } from '../project-root.js';

export interface NativeAddon {
  /** pipe(2): both ends blocking and close-on-exec. */
  pipe(): { readFd: number; writeFd: number };
  /** mkfifo(3). Throws EEXIST if the path exists. */
  mkfifo(path: string, mode: number): void;
  /** The pipe's capacity in bytes (fcntl F_GETPIPE_SZ; Linux only). */
  pipeCapacity(fd: number): number;
  /** Bytes the pipe or FIFO holds, unread (ioctl FIONREAD on either end; man 7 pipe). */
  bytesInPipe(fd: number): number;
  /** A blocking, connected Unix stream socket: the trace channel. */
  connectUnixSocket(path: string): number;
  /**
   * getsockopt(SO_PEERCRED) on a connected Unix socket: the process that connected it, as the kernel
   * recorded it at connect() (unix(7)); the peer cannot forge it. Throws ENOSYS where there is none.
   */
  peerCredentials(fd: number): { pid: number; uid: number; gid: number };
  /** prctl(PR_SET_PDEATHSIG). False when the parent is already gone. */
  setParentDeathSignal(signal: number, expectedParentPid: number): boolean;
  /** Sets FD_CLOEXEC on every descriptor >= minFd; returns how many were inheritable. */
  markInheritedCloseOnExec(minFd: number): number;

  // Shared memory (Linux; elsewhere each throws an Error with code 'ENOSYS'). A segment is a handle into
  // the addon's table: JS never sees the mapping, every read and write copies. Offsets are in bytes and
  // bounds-checked (RangeError, code ERR_OUT_OF_RANGE); word offsets must be multiples of 4
  // (RangeError, code ERR_UNALIGNED). A detached handle throws (code EBADF).

  /** shm_open(O_CREAT|O_EXCL, 0600) + ftruncate + mmap(MAP_SHARED). Name: '/name', no other '/', ≤ 255 bytes. Throws EEXIST. */
  shmCreate(name: string, size: number): number;
  /**
   * Maps an existing segment at the size its creator gave it (MAP_SHARED; with private true,
   * MAP_PRIVATE: copy-on-write, this process's stores stay its own). Throws ENOENT.
   */
  shmAttach(name: string, privateMapping?: boolean): number;
  /** The mapped size in bytes. */
  shmSize(handle: number): number;
  /** munmap; the handle is invalid afterwards. */
  shmDetach(handle: number): void;
  /** shm_unlink: removes the name; existing mappings stay valid. */
  shmUnlink(name: string): void;
  /** Copies source into the segment at offset. */
  shmWrite(handle: number, offset: number, source: Uint8Array): void;
  /** A new Buffer holding a copy of length bytes at offset. */
  shmRead(handle: number, offset: number, length: number): Buffer;
  /** Fills all of target from offset; returns target.length. */
  shmReadInto(handle: number, offset: number, target: Uint8Array): number;
  /** Sequentially consistent 32-bit load (signed). */
  atomicLoad(handle: number, offset: number): number;
  /** Sequentially consistent 32-bit store. */
  atomicStore(handle: number, offset: number, value: number): void;
  /** Atomic fetch-and-add (wraps like int32); returns the previous value. */
  atomicAdd(handle: number, offset: number, delta: number): number;
  /** Atomic compare-and-swap; returns the value found (the swap happened iff it equals expected). */
  atomicCompareExchange(handle: number, offset: number, expected: number, replacement: number): number;
  /**
   * FUTEX_WAIT (shared, not private) while the word equals expected, at most timeoutMs (relative;
   * Infinity or negative: no limit). 'ok' may be spurious (a signal): re-check the word.
   */
  futexWait(handle: number, offset: number, expected: number, timeoutMs: number): 'ok' | 'not-equal' | 'timed-out';
  /** FUTEX_WAKE up to count waiters (negative: all); returns how many woke. */
  futexWake(handle: number, offset: number, count: number): number;
  /** sizeof(pthread_mutex_t) (40 on x86_64 glibc). */
  mutexBytes(): number;
  /**
   * pthread_mutex_init at an 8-aligned offset: PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_ERRORCHECK, and
   * PTHREAD_MUTEX_ROBUST (robust) or PTHREAD_MUTEX_STALLED.
   */
  mutexInit(handle: number, offset: number, robust: boolean): void;
  /**
   * Locks it: timeoutMs 0 only tries ('busy' when held), negative or Infinity waits for ever, otherwise
   * at most timeoutMs on CLOCK_MONOTONIC. 'owner-died' (EOWNERDEAD): the holder died holding it, the
   * caller holds it now and must call mutexConsistent before unlocking, or the mutex becomes unusable.
   * Throws EDEADLK (this thread holds it), ENOTRECOVERABLE.
   */
  mutexLock(handle: number, offset: number, timeoutMs: number): 'ok' | 'owner-died' | 'timed-out' | 'busy';
  /** pthread_mutex_consistent, after 'owner-died'. Throws EINVAL otherwise. */
  mutexConsistent(handle: number, offset: number): void;
  /** pthread_mutex_unlock. Throws EPERM when this thread does not hold it. */
  mutexUnlock(handle: number, offset: number): void;

  // POSIX message queues (Linux; elsewhere each throws an Error with code 'ENOSYS': macOS has no mq_*).
  // A queue descriptor (mqd) is an int; on Linux an fd, always close-on-exec. Close it with mqClose.
  // Names as for shared memory: '/name', no other '/', ≤ 255 bytes. Timeouts are relative ms; -1 (or any
  // negative number, or Infinity) blocks for ever; 0 only tries. EINTR is retried with the time left.

  /**
   * mq_open. Without create, opens an existing queue (ENOENT otherwise) at its creator's sizes. With
   * create: maxMessages/messageBytes set mq_attr (kernel defaults msg_default/msgsize_default when left
   * out); EINVAL names /proc/sys/fs/mqueue/msg_max or msgsize_max and its value; exclusive → EEXIST if it
   * exists. access defaults to 'both'; mode 0600.
   */
  mqOpen(name: string, options: MqOpenOptions): number;
  /**
   * mq_timedsend (absolute CLOCK_REALTIME deadline from timeoutMs). 'timed-out' if the queue stayed
   * full. Throws EAGAIN when the descriptor is nonblocking and the queue is full, EMSGSIZE when data is
   * longer than the queue's messageBytes; priority 0..32767 (higher is received first).
   */
  mqSend(mqd: number, data: Uint8Array, priority?: number, timeoutMs?: number): 'ok' | 'timed-out';
  /**
   * mq_timedreceive into target (a JS-allocated array; the message is copied to its start). null if the
   * timeout passed first. Throws EAGAIN when nonblocking and empty, EMSGSIZE when target is shorter
   * than the queue's messageBytes (mq_receive needs room for the largest message).
   */
  mqReceive(mqd: number, target: Uint8Array, timeoutMs?: number): { bytes: number; priority: number } | null;
  /** mq_getattr: sizes fixed at creation, messages queued now, and this descriptor's O_NONBLOCK. */
  mqGetattr(mqd: number): MqAttributes;
  /** mq_setattr on O_NONBLOCK: per descriptor, not per queue. */
  mqSetNonblock(mqd: number, on: boolean): void;
  /** mq_close: the queue and its messages stay until unlinked. */
  mqClose(mqd: number): void;
  /** mq_unlink: removes the name; open descriptors keep working. Throws ENOENT. */
  mqUnlink(name: string): void;

  // Measure loops (main/native/measure-loops.c): the same system calls as a lab program, in a C loop,
  // timed on CLOCK_MONOTONIC. Each is one blocking call. Use them through main/runtime/native-loops.ts.

  writeLoop(fd: number, totalBytes: number, chunkBytes: number): NativeLoopTiming;
  readLoop(fd: number, totalBytes: number, chunkBytes: number): NativeLoopTiming;
  pingLoop(writeFd: number, readFd: number, roundTrips: number, messageBytes: number): NativeLoopTiming;
  pongLoop(readFd: number, writeFd: number, roundTrips: number, messageBytes: number): NativeLoopTiming;
  mqSendLoop(mqd: number, totalBytes: number, messageBytes: number): NativeLoopTiming;
  mqReceiveLoop(mqd: number, totalBytes: number, messageBytes: number): NativeLoopTiming;
  mqPingLoop(sendMqd: number, receiveMqd: number, roundTrips: number, messageBytes: number): NativeLoopTiming;
  mqPongLoop(receiveMqd: number, sendMqd: number, roundTrips: number, messageBytes: number): NativeLoopTiming;
  ringProduceLoop(handle: number, offset: number, totalBytes: number, chunkBytes: number): NativeLoopTiming;
  ringConsumeLoop(handle: number, offset: number, totalBytes: number, chunkBytes: number): NativeLoopTiming;
  ringPingLoop(toHandle: number, toOffset: number, fromHandle: number, fromOffset: number, roundTrips: number, messageBytes: number): NativeLoopTiming;
  ringPongLoop(fromHandle: number, fromOffset: number, toHandle: number, toOffset: number, roundTrips: number, messageBytes: number): NativeLoopTiming;

  // RLIMIT_MSGQUEUE (getrlimit/setrlimit; Linux, elsewhere ENOSYS). Every queue a process creates
  // reserves mq_maxmsg x mq_msgsize bytes (plus bookkeeping) against its user's total, which may not pass
  // the creating process's soft limit (mq_open: EMFILE). Bytes; Infinity is RLIM_INFINITY.

  /** getrlimit(RLIMIT_MSGQUEUE) of this process. */
  messageQueueLimit(): { soft: number; hard: number };
  /** setrlimit(RLIMIT_MSGQUEUE): hard stays when left out. EINVAL soft above hard; EPERM raising hard without CAP_SYS_RESOURCE. */
  setMessageQueueLimit(soft: number, hard?: number): void;
}

/** What a measure loop returns (documented in main/runtime/native-loops.ts as LoopTiming). */
export interface NativeLoopTiming {
  startNs: bigint;
  endNs: bigint;
  bytes: number;
  calls: number;
  roundTripNs?: { p50: number; p90: number; p99: number };
}

export interface MqOpenOptions {
  /** O_CREAT. */
  create: boolean;
  /** O_EXCL (only with create): fail with EEXIST if the queue exists. */
  exclusive?: boolean;
  /** O_NONBLOCK: a send to a full queue / receive from an empty one throws EAGAIN instead of waiting. */
  nonblock?: boolean;
  /** mq_maxmsg (only with create): capacity in messages, ≥ 1. */
  maxMessages?: number;
  /** mq_msgsize (only with create): the largest message in bytes, ≥ 1. */
  messageBytes?: number;
  /** O_RDONLY, O_WRONLY or O_RDWR (default 'both'). */
  access?: 'read' | 'write' | 'both';
}

export interface MqAttributes {
  maxMessages: number;
  messageBytes: number;
  currentMessages: number;
  nonblock: boolean;
}

let loaded: NativeAddon | undefined;

export function native(): NativeAddon {
  if (loaded) return loaded;
  const addonPath = join(findProjectRoot(), 'build', 'Release', 'ipc_lab_native.node');
  if (!existsSync(addonPath)) {
    throw new Error(
      `IPC Lab's native addon is not built (${addonPath} is missing). Fix: run npm install (it builds the addon with node-gyp; needs python3, make and a C compiler).`,
    );
  }
  loaded = createRequire(import.meta.url)(addonPath) as NativeAddon;
  return loaded;
}
