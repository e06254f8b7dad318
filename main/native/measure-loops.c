/*
 * measure-loops.c: what the kernel costs, without what the language costs.
 *
 * A lab program in TypeScript pays for Node on every message: a call into the event loop, a Buffer,
 * a callback. On a fast mechanism that cost is larger than the kernel's, and it hides the differences
 * between mechanisms. Each loop here makes the *same system calls* as the lab program, but in C, with
 * nothing between one call and the next. A lab program calls one loop and waits in it (its event loop
 * waits too: that is the point), then reports the figures beside its own.
 *
 * The loops (each process runs one side; the other side may be C or the TypeScript runtime):
 *   loop_write / loop_read      write(2) / read(2) of chunk_bytes until total_bytes have moved, on a
 *                               pipe, FIFO or connected stream socket (Unix or TCP). A short write is
 *                               finished with more writes. read() returning 0 (end of file) ends the
 *                               reader early: `bytes` then says how much came.
 *   loop_ping / loop_pong       a round trip: ping writes message_bytes and reads message_bytes back;
 *                               pong reads and writes them back. Each round trip is timed: p50/p90/p99.
 *   loop_mq_*                   the same with mq_timedsend(3) / mq_timedreceive(3) on a POSIX message
 *                               queue: one message per call (the queue keeps message boundaries).
 *   loop_ring_*                 the same through the shared-memory ring buffer of
 *                               main/runtime/shared-memory/ring-buffer.ts: its layout, its two counting
 *                               semaphores, its two robust mutexes and its per-slot turn words, so a C
 *                               loop and a TypeScript RingBuffer work on one segment. Data moves by
 *                               memcpy into and out of the mapping; the kernel is entered only through
 *                               futex(2) when a side must sleep, and pthread mutexes when contended.
 *
 * Non-blocking descriptors: Node's net.Socket and the mailbox runtime keep their descriptors in
 * O_NONBLOCK mode. When a call says EAGAIN (nothing to read, no room to write), the loop waits in
 * poll(2) for the descriptor to become ready and tries again, which is what a blocking call does
 * inside the kernel. A Linux mq descriptor is a file descriptor and can be polled (mq_overview(7)).
 * EINTR (a signal arrived) is retried.
 *
 * Timing: clock_gettime(CLOCK_MONOTONIC) just before the first call and just after the last one. The
 * trace's `ts` is process.hrtime.bigint(), which is the same clock (libuv's uv_hrtime reads
 * CLOCK_MONOTONIC), so a loop's start and end line up with the events around it.
 *
 * Waiting for a peer that never comes: read/write/poll on descriptors wait as long as the peer lives
 * (its death gives end of file or EPIPE). A message queue and shared memory tell nobody when a peer
 * dies, so those loops give up with ETIMEDOUT after IDLE_TIMEOUT_MS without any progress.
 */
#include "measure-loops.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/futex.h>
#include <mqueue.h>
#include <pthread.h>
#include <sys/syscall.h>
#endif

/* How long a loop on a queue or a ring waits without any progress before it decides its peer is gone. */
#define IDLE_TIMEOUT_MS 10000
/* Round-trip samples are kept to compute percentiles: 8 bytes each. */
#define MAX_ROUND_TRIPS 10000000u

static uint64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static int fail(loop_error *error, int err, const char *syscall, const char *explanation) {
  error->err = err;
  snprintf(error->syscall, sizeof error->syscall, "%s", syscall);
  snprintf(error->explanation, sizeof error->explanation, "%s", explanation ? explanation : "");
  return -1;
}

static int bad_argument(loop_error *error, const char *explanation) { return fail(error, EINVAL, "measure loop", explanation); }

/* A buffer of n bytes (at least 1) with a pattern in it, so that pages are really touched. */
static char *new_buffer(size_t n) {
  char *buffer = malloc(n ? n : 1);
  if (buffer) memset(buffer, 0x5a, n);
  return buffer;
}

/* Waits in poll(2) until fd is ready for `events`. */
static int wait_ready(int fd, short events, int timeout_ms, const char *syscall, loop_error *error) {
  struct pollfd entry = {.fd = fd, .events = events, .revents = 0};
  for (;;) {
    int rc = poll(&entry, 1, timeout_ms);
    if (rc > 0) return 0; /* ready, or an error/hang-up the next call will report */
    if (rc == 0)
      return fail(error, ETIMEDOUT, syscall,
                  "nothing moved for 10 s: is the process at the other end still running and using the same object?");
    if (errno != EINTR) return fail(error, errno, "poll", NULL);
  }
}

/* ----- descriptors: pipe, FIFO, stream socket ----- */

/* Writes all n bytes (more than one write when the kernel takes fewer). */
static int write_all(int fd, const char *data, size_t n, uint64_t *calls, loop_error *error) {
  while (n > 0) {
    ssize_t wrote = write(fd, data, n);
    if (wrote > 0) {
      data += wrote;
      n -= (size_t)wrote;
      (*calls)++;
    } else if (wrote < 0 && errno == EAGAIN) {
      if (wait_ready(fd, POLLOUT, -1, "write", error) != 0) return -1;
    } else if (wrote < 0 && errno != EINTR) {
      return fail(error, errno, "write",
                  errno == EPIPE ? "the reading end is closed: nobody will ever read this (the peer exited or closed it)" : NULL);
    }
  }
  return 0;
}

/* Reads up to n bytes into data: how many came (0 at end of file), or -1. */
static ssize_t read_some(int fd, char *data, size_t n, uint64_t *calls, loop_error *error) {
  for (;;) {
    ssize_t got = read(fd, data, n);
    if (got >= 0) {
      if (got > 0) (*calls)++;
      return got;
    }
    if (errno == EAGAIN) {
      if (wait_ready(fd, POLLIN, -1, "read", error) != 0) return -1;
    } else if (errno != EINTR) {
      return fail(error, errno, "read", NULL);
    }
  }
}

/* Reads exactly n bytes; end of file first is an error (the peer left mid-conversation). */
static int read_exactly(int fd, char *data, size_t n, uint64_t *calls, loop_error *error) {
  while (n > 0) {
    ssize_t got = read_some(fd, data, n, calls, error);
    if (got < 0) return -1;
    if (got == 0) return fail(error, EPIPE, "read", "end of file in the middle of a round trip: the peer closed its end or exited");
    data += got;
    n -= (size_t)got;
  }
  return 0;
}

int loop_write(int fd, uint64_t total_bytes, size_t chunk_bytes, loop_timing *timing, loop_error *error) {
  if (chunk_bytes == 0) return bad_argument(error, "chunkBytes must be at least 1");
  char *chunk = new_buffer(chunk_bytes);
  if (!chunk) return fail(error, ENOMEM, "malloc", NULL);
  memset(timing, 0, sizeof *timing);
  int rc = 0;
  timing->start_ns = monotonic_ns();
  for (uint64_t left = total_bytes; left > 0;) {
    size_t n = left < chunk_bytes ? (size_t)left : chunk_bytes;
    if ((rc = write_all(fd, chunk, n, &timing->calls, error)) != 0) break;
    left -= n;
    timing->bytes += n;
  }
  timing->end_ns = monotonic_ns();
  free(chunk);
  return rc;
}

int loop_read(int fd, uint64_t total_bytes, size_t chunk_bytes, loop_timing *timing, loop_error *error) {
  if (chunk_bytes == 0) return bad_argument(error, "chunkBytes must be at least 1");
  char *chunk = new_buffer(chunk_bytes);
  if (!chunk) return fail(error, ENOMEM, "malloc", NULL);
  memset(timing, 0, sizeof *timing);
  int rc = 0;
  timing->start_ns = monotonic_ns();
  while (timing->bytes < total_bytes) {
    uint64_t left = total_bytes - timing->bytes;
    ssize_t got = read_some(fd, chunk, left < chunk_bytes ? (size_t)left : chunk_bytes, &timing->calls, error);
    if (got <= 0) {
      rc = got < 0 ? -1 : 0; /* end of file: stop, and say how much came */
      break;
    }
    timing->bytes += (uint64_t)got;
  }
  timing->end_ns = monotonic_ns();
  free(chunk);
  return rc;
}

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentiles of the round-trip samples (sorted in place). */
static void set_percentiles(loop_timing *timing, uint64_t *samples, uint32_t n) {
  if (n == 0) return;
  qsort(samples, n, sizeof *samples, compare_u64);
  double q[3] = {0.50, 0.90, 0.99};
  double *out[3] = {&timing->p50_ns, &timing->p90_ns, &timing->p99_ns};
  for (int i = 0; i < 3; i++) {
    uint64_t rank = (uint64_t)(q[i] * n + 0.999999);
    if (rank < 1) rank = 1;
    *out[i] = (double)samples[rank - 1];
  }
  timing->has_round_trips = 1;
}

static int check_round_trips(uint32_t round_trips, size_t message_bytes, loop_error *error) {
  if (round_trips == 0 || round_trips > MAX_ROUND_TRIPS) return bad_argument(error, "roundTrips must be from 1 to 10,000,000");
  if (message_bytes == 0) return bad_argument(error, "messageBytes must be at least 1");
  return 0;
}

int loop_ping(int write_fd, int read_fd, uint32_t round_trips, size_t message_bytes, loop_timing *timing, loop_error *error) {
  if (check_round_trips(round_trips, message_bytes, error) != 0) return -1;
  char *message = new_buffer(message_bytes);
  uint64_t *samples = malloc(round_trips * sizeof *samples);
  if (!message || !samples) {
    free(message);
    free(samples);
    return fail(error, ENOMEM, "malloc", NULL);
  }
  memset(timing, 0, sizeof *timing);
  int rc = 0;
  uint32_t done = 0;
  timing->start_ns = monotonic_ns();
  uint64_t before = timing->start_ns;
  for (; done < round_trips; done++) {
    if ((rc = write_all(write_fd, message, message_bytes, &timing->calls, error)) != 0) break;
    if ((rc = read_exactly(read_fd, message, message_bytes, &timing->calls, error)) != 0) break;
    uint64_t after = monotonic_ns();
    samples[done] = after - before;
    before = after;
    timing->bytes += 2 * message_bytes;
  }
  timing->end_ns = monotonic_ns();
  set_percentiles(timing, samples, done);
  free(message);
  free(samples);
  return rc;
}

int loop_pong(int read_fd, int write_fd, uint32_t round_trips, size_t message_bytes, loop_timing *timing, loop_error *error) {
  if (check_round_trips(round_trips, message_bytes, error) != 0) return -1;
  char *message = new_buffer(message_bytes);
  if (!message) return fail(error, ENOMEM, "malloc", NULL);
  memset(timing, 0, sizeof *timing);
  int rc = 0;
  timing->start_ns = monotonic_ns();
  for (uint32_t done = 0; done < round_trips; done++) {
    if ((rc = read_exactly(read_fd, message, message_bytes, &timing->calls, error)) != 0) break;
    if ((rc = write_all(write_fd, message, message_bytes, &timing->calls, error)) != 0) break;
    timing->bytes += 2 * message_bytes;
  }
  timing->end_ns = monotonic_ns();
  free(message);
  return rc;
}

#ifdef __linux__

/* ----- POSIX message queues ----- */

/* An absolute CLOCK_REALTIME deadline (what mq_timed* take) IDLE_TIMEOUT_MS from now. */
static struct timespec idle_deadline(void) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += IDLE_TIMEOUT_MS / 1000;
  return deadline;
}

static const char *MQ_IDLE = "nothing moved for 10 s: is the process at the other end still running and using the same queue?";

static int mq_send_one(int mqd, const char *data, size_t n, uint64_t *calls, loop_error *error) {
  for (;;) {
    struct timespec deadline = idle_deadline();
    if (mq_timedsend(mqd, data, n, 0, &deadline) == 0) {
      (*calls)++;
      return 0;
    }
    if (errno == EAGAIN) { /* non-blocking descriptor, queue full: wait for room */
      if (wait_ready(mqd, POLLOUT, IDLE_TIMEOUT_MS, "mq_send", error) != 0) return -1;
    } else if (errno == ETIMEDOUT) {
      return fail(error, ETIMEDOUT, "mq_send", MQ_IDLE);
    } else if (errno == EMSGSIZE) {
      return fail(error, EMSGSIZE, "mq_send", "the message is longer than the queue's messageBytes. Fix: use messageBytes at most the queue's");
    } else if (errno != EINTR) {
      return fail(error, errno, "mq_send", NULL);
    }
  }
}

/* Receives one message into data (room for capacity bytes): its length, or -1. */
static ssize_t mq_receive_one(int mqd, char *data, size_t capacity, uint64_t *calls, loop_error *error) {
  for (;;) {
    struct timespec deadline = idle_deadline();
    ssize_t got = mq_timedreceive(mqd, data, capacity, NULL, &deadline);
    if (got >= 0) {
      (*calls)++;
      return got;
    }
    if (errno == EAGAIN) {
      if (wait_ready(mqd, POLLIN, IDLE_TIMEOUT_MS, "mq_receive", error) != 0) return -1;
    } else if (errno == ETIMEDOUT) {
      return fail(error, ETIMEDOUT, "mq_receive", MQ_IDLE);
    } else if (errno != EINTR) {
      return fail(error, errno, "mq_receive", NULL);
    }
  }
}

/* A receive buffer as big as the queue's largest message (mq_receive insists on it). */
static char *mq_buffer(int mqd, size_t *capacity, loop_error *error) {
  struct mq_attr attr;
  if (mq_getattr(mqd, &attr) != 0) {
    fail(error, errno, "mq_getattr", "this is not an open message-queue descriptor");
    return NULL;
  }
  *capacity = (size_t)attr.mq_msgsize;
  char *buffer = new_buffer(*capacity);
  if (!buffer) fail(error, ENOMEM, "malloc", NULL);
  return buffer;
}

int loop_mq_send(int mqd, uint64_t total_bytes, size_t message_bytes, loop_timing *timing, loop_error *error) {
  if (message_bytes == 0) return bad_argument(error, "messageBytes must be at least 1");
  char *message = new_buffer(message_bytes);
  if (!message) return fail(error, ENOMEM, "malloc", NULL);
  memset(timing, 0, sizeof *timing);
  int rc = 0;
  timing->start_ns = monotonic_ns();
  for (uint64_t left = total_bytes; left > 0;) {
    size_t n = left < message_bytes ? (size_t)left : message_bytes;
    if ((rc = mq_send_one(mqd, message, n, &timing->calls, error)) != 0) break;
    left -= n;
    timing->bytes += n;
  }
  timing->end_ns = monotonic_ns();
  free(message);
  return rc;
}

int loop_mq_receive(int mqd, uint64_t total_bytes, size_t message_bytes, loop_timing *timing, loop_error *error) {
  (void)message_bytes; /* each receive takes one whole message, whatever its length */
  size_t capacity;
  char *message = mq_buffer(mqd, &capacity, error);
  if (!message) return -1;
  memset(timing, 0, sizeof *timing);
  int rc = 0;
  timing->start_ns = monotonic_ns();
  while (timing->bytes < total_bytes) {
    ssize_t got = mq_receive_one(mqd, message, capacity, &timing->calls, error);
    if (got < 0) {
      rc = -1;
      break;
    }
    timing->bytes += (uint64_t)got;
  }
  timing->end_ns = monotonic_ns();
  free(message);
  return rc;
}

int loop_mq_ping(int send_mqd, int receive_mqd, uint32_t round_trips, size_t message_bytes, loop_timing *timing, loop_error *error) {
  if (check_round_trips(round_trips, message_bytes, error) != 0) return -1;
  size_t capacity;
  char *message = mq_buffer(receive_mqd, &capacity, error);
  uint64_t *samples = message ? malloc(round_trips * sizeof *samples) : NULL;
  if (!samples) {
    free(message);
    return message ? fail(error, ENOMEM, "malloc", NULL) : -1;
  }
  if (capacity < message_bytes) {
    free(message);
    free(samples);
    return bad_argument(error, "messageBytes is more than the reply queue's messageBytes");
  }
  memset(timing, 0, sizeof *timing);
  int rc = 0;
  uint32_t done = 0;
  timing->start_ns = monotonic_ns();
  uint64_t before = timing->start_ns;
  for (; done < round_trips; done++) {
    if ((rc = mq_send_one(send_mqd, message, message_bytes, &timing->calls, error)) != 0) break;
    ssize_t got = mq_receive_one(receive_mqd, message, capacity, &timing->calls, error);
    if (got < 0) {
      rc = -1;
      break;
    }
    uint64_t after = monotonic_ns();
    samples[done] = after - before;
    before = after;
    timing->bytes += message_bytes + (uint64_t)got;
  }
  timing->end_ns = monotonic_ns();
  set_percentiles(timing, samples, done);
  free(message);
  free(samples);
  return rc;
}

int loop_mq_pong(int receive_mqd, int send_mqd, uint32_t round_trips, size_t message_bytes, loop_timing *timing, loop_error *error) {
  if (check_round_trips(round_trips, message_bytes, error) != 0) return -1;
  size_t capacity;
  char *message = mq_buffer(receive_mqd, &capacity, error);
  if (!message) return -1;
  memset(timing, 0, sizeof *timing);
  int rc = 0;
  timing->start_ns = monotonic_ns();
  for (uint32_t done = 0; done < round_trips; done++) {
    ssize_t got = mq_receive_one(receive_mqd, message, capacity, &timing->calls, error);
    if (got < 0 || (rc = mq_send_one(send_mqd, message, (size_t)got, &timing->calls, error)) != 0) {
      rc = -1;
      break;
    }
    timing->bytes += 2 * (uint64_t)got;
  }
  timing->end_ns = monotonic_ns();
  free(message);
  return rc;
}

/* ----- the shared-memory ring buffer (the protocol of ring-buffer.ts, counting-semaphore.ts, mutex.ts) ----- */

/* Header words, bytes from the ring's start (ring-buffer.ts "Memory layout"). */
enum { H_MAGIC = 0, H_FLAGS = 4, H_EMPTY = 16, H_FULL = 24, H_HEAD = 32, H_TAIL = 36, H_COUNT = 40, H_SLOTS = 44, H_SLOT_BYTES = 48, H_SLOT_SLEEPERS = 60, H_PUT_MUTEX = 64 };
enum { RING_MAGIC = 0x52435049, FLAG_BOUNDED = 1 };
/* A slot: [turn][length][data]. A semaphore: [value][waiters]. A mutex: [holder pid][unused][pthread_mutex_t]. */
enum { S_TURN = 0, S_LENGTH = 4, S_DATA = 8, SEM_VALUE = 0, SEM_WAITERS = 4, MUTEX_HOLDER = 0, MUTEX_PTHREAD = 8 };
/* The same patience as ring-buffer.ts: looks before sleeping, a slot's turn checked every 100 ms. */
enum { SPIN_TRIES = 64, SLOT_CHECK_MS = 100, MUTEX_TIMEOUT_MS = 5000 };

typedef struct {
  char *base;
  int32_t slots, slot_bytes, bounded;
  size_t header_bytes, stride;
} ring;

static int32_t *word(char *base, size_t offset) { return (int32_t *)(base + offset); }
static int32_t load(char *base, size_t offset) { return __atomic_load_n(word(base, offset), __ATOMIC_SEQ_CST); }
static void store(char *base, size_t offset, int32_t value) { __atomic_store_n(word(base, offset), value, __ATOMIC_SEQ_CST); }
static int32_t add(char *base, size_t offset, int32_t delta) { return __atomic_fetch_add(word(base, offset), delta, __ATOMIC_SEQ_CST); }

/* futex(FUTEX_WAIT) while the word holds expected, at most timeout_ms. Not FUTEX_PRIVATE_FLAG: the
 * word is shared between processes. Returns 0 (woken, changed, or timed out: the caller re-checks). */
static void futex_wait(int32_t *address, int32_t expected, int timeout_ms) {
  struct timespec timeout = {.tv_sec = timeout_ms / 1000, .tv_nsec = (long)(timeout_ms % 1000) * 1000000L};
  syscall(SYS_futex, address, FUTEX_WAIT, expected, &timeout, NULL, 0);
}

static void futex_wake(int32_t *address, int count) { syscall(SYS_futex, address, FUTEX_WAKE, count, NULL, NULL, 0); }

/* Mutex.BYTES in mutex.ts: the holder words, then pthread_mutex_t rounded up to 8 bytes. */
static size_t mutex_bytes(void) { return MUTEX_PTHREAD + (sizeof(pthread_mutex_t) + 7) / 8 * 8; }

/* Reads the geometry from the header, as RingBuffer.attach does. */
static int ring_open(ring_view view, ring *r, loop_error *error) {
  if (view.available < H_PUT_MUTEX || ((uintptr_t)view.base & 7) != 0) return bad_argument(error, "a ring buffer starts at an 8-aligned offset with room for its header");
  r->base = view.base;
  if (load(r->base, H_MAGIC) != RING_MAGIC)
    return fail(error, EINVAL, "ring attach", "there is no ring buffer at this offset of the segment (yet). Fix: start the loop after RingBuffer.create");
  r->slots = load(r->base, H_SLOTS);
  r->slot_bytes = load(r->base, H_SLOT_BYTES);
  r->bounded = (load(r->base, H_FLAGS) & FLAG_BOUNDED) != 0;
  r->header_bytes = H_PUT_MUTEX + 2 * mutex_bytes();
  r->stride = S_DATA + (((size_t)r->slot_bytes + 3) & ~(size_t)3);
  if (r->slots < 1 || r->slot_bytes < 1 || r->header_bytes + (size_t)r->slots * r->stride > view.available)
    return fail(error, EINVAL, "ring attach", "the ring buffer header is damaged (its slots do not fit the segment)");
  return 0;
}

static int check_fits(const ring *r, size_t bytes, loop_error *error) {
  if (bytes > (size_t)r->slot_bytes) {
    char explanation[200];
    snprintf(explanation, sizeof explanation, "an item of %zu bytes does not fit a slot of %d bytes. Fix: use chunks of at most %d bytes, or a ring with bigger slots",
             bytes, r->slot_bytes, r->slot_bytes);
    return fail(error, EMSGSIZE, "ring put", explanation);
  }
  return 0;
}

/* CountingSemaphore.wait: take a permit by compare-and-swap; with none, count ourselves as a waiter
 * and futex-wait while the value is 0. Gives up after IDLE_TIMEOUT_MS. */
static int semaphore_wait(char *base, size_t at, const char *what, loop_error *error) {
  int32_t *value = word(base, at + SEM_VALUE);
  uint64_t deadline = 0;
  for (int tries = 0;; tries++) {
    int32_t seen = __atomic_load_n(value, __ATOMIC_SEQ_CST);
    while (seen > 0)
      if (__atomic_compare_exchange_n(value, &seen, seen - 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return 0;
    if (tries < SPIN_TRIES) continue;
    uint64_t now = monotonic_ns();
    if (!deadline) deadline = now + (uint64_t)IDLE_TIMEOUT_MS * 1000000u;
    if (now >= deadline) return fail(error, ETIMEDOUT, what, "waited 10 s and the other side neither put nor took an item: is it still running?");
    add(base, at + SEM_WAITERS, 1);
    futex_wait(value, 0, (int)((deadline - now) / 1000000u) + 1);
    add(base, at + SEM_WAITERS, -1);
  }
}

static void semaphore_post(char *base, size_t at) {
  add(base, at + SEM_VALUE, 1);
  if (load(base, at + SEM_WAITERS) > 0) futex_wake(word(base, at + SEM_VALUE), 1);
}

/* Mutex.lock: the robust, process-shared pthread mutex, then our pid in the holder word. The mutex
 * guards one word that is stored whole, so after EOWNERDEAD there is nothing to repair. */
static int mutex_lock(char *base, size_t at, loop_error *error) {
  pthread_mutex_t *mutex = (pthread_mutex_t *)(base + at + MUTEX_PTHREAD);
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += MUTEX_TIMEOUT_MS / 1000;
  int rc = pthread_mutex_clocklock(mutex, CLOCK_MONOTONIC, &deadline);
  if (rc == EOWNERDEAD) rc = pthread_mutex_consistent(mutex);
  if (rc != 0) return fail(error, rc, "pthread_mutex_clocklock", rc == ETIMEDOUT ? "a ring mutex stayed locked for 5 s: its holder is stuck" : NULL);
  store(base, at + MUTEX_HOLDER, (int32_t)getpid());
  return 0;
}

static void mutex_unlock(char *base, size_t at) {
  store(base, at + MUTEX_HOLDER, 0);
  pthread_mutex_unlock((pthread_mutex_t *)(base + at + MUTEX_PTHREAD));
}

/* Claims the next item number from head or tail under its mutex. */
static int claim(ring *r, size_t mutex_at, size_t counter_at, int check_overflow, int32_t *claimed, loop_error *error) {
  if (mutex_lock(r->base, mutex_at, error) != 0) return -1;
  if (check_overflow && load(r->base, H_COUNT) >= r->slots) {
    mutex_unlock(r->base, mutex_at);
    return fail(error, EOVERFLOW, "ring put", "put would overwrite unread data in this unbounded ring. Fix: make it bounded, or give it more slots");
  }
  *claimed = load(r->base, counter_at);
  store(r->base, counter_at, *claimed + 1);
  mutex_unlock(r->base, mutex_at);
  return 0;
}

static size_t slot_of(const ring *r, int32_t claimed) { return r->header_bytes + (size_t)(claimed % r->slots) * r->stride; }
static int32_t lap_of(const ring *r, int32_t claimed) { return claimed / r->slots; }

/* Waits until the slot's turn word says `turn` (ring-buffer.ts awaitTurn). */
static int await_turn(ring *r, size_t slot, int32_t turn, loop_error *error) {
  for (int i = 0; i < SPIN_TRIES; i++)
    if (load(r->base, slot + S_TURN) == turn) return 0;
  uint64_t deadline = monotonic_ns() + (uint64_t)IDLE_TIMEOUT_MS * 1000000u;
  for (int32_t now = load(r->base, slot + S_TURN); now != turn; now = load(r->base, slot + S_TURN)) {
    if (monotonic_ns() >= deadline) return fail(error, ETIMEDOUT, "ring slot", "a claimed slot was not filled or emptied within 10 s: the process that claimed it before must have died");
    add(r->base, H_SLOT_SLEEPERS, 1);
    futex_wait(word(r->base, slot + S_TURN), now, SLOT_CHECK_MS);
    add(r->base, H_SLOT_SLEEPERS, -1);
  }
  return 0;
}

static void mark(ring *r, size_t slot, int32_t turn) {
  store(r->base, slot + S_TURN, turn);
  if (load(r->base, H_SLOT_SLEEPERS) > 0) futex_wake(word(r->base, slot + S_TURN), -1 /* all */);
}

static int ring_put(ring *r, const char *data, size_t n, loop_error *error) {
  int32_t claimed;
  if (r->bounded && semaphore_wait(r->base, H_EMPTY, "ring put", error) != 0) return -1;
  if (claim(r, H_PUT_MUTEX, H_TAIL, !r->bounded, &claimed, error) != 0) return -1;
  size_t slot = slot_of(r, claimed);
  int32_t lap = lap_of(r, claimed);
  if (await_turn(r, slot, (int32_t)(2u * (uint32_t)lap), error) != 0) return -1;
  store(r->base, slot + S_LENGTH, (int32_t)n);
  memcpy(r->base + slot + S_DATA, data, n);
  mark(r, slot, (int32_t)(2u * (uint32_t)lap + 1u));
  add(r->base, H_COUNT, 1);
  semaphore_post(r->base, H_FULL);
  return 0;
}

/* Takes the oldest item into data (room for slot_bytes): its length, or -1. */
static ssize_t ring_get(ring *r, char *data, loop_error *error) {
  int32_t claimed;
  if (semaphore_wait(r->base, H_FULL, "ring get", error) != 0) return -1;
  if (claim(r, H_PUT_MUTEX + mutex_bytes(), H_HEAD, 0, &claimed, error) != 0) return -1;
  add(r->base, H_COUNT, -1);
  size_t slot = slot_of(r, claimed);
  int32_t lap = lap_of(r, claimed);
  if (await_turn(r, slot, (int32_t)(2u * (uint32_t)lap + 1u), error) != 0) return -1;
  int32_t length = load(r->base, slot + S_LENGTH);
  if (length < 0 || length > r->slot_bytes) length = r->slot_bytes;
  memcpy(data, r->base + slot + S_DATA, (size_t)length);
  mark(r, slot, (int32_t)(2u * (uint32_t)(lap + 1)));
  if (r->bounded) semaphore_post(r->base, H_EMPTY);
  return length;
}

int loop_ring_produce(ring_view view, uint64_t total_bytes, size_t chunk_bytes, loop_timing *timing, loop_error *error) {
  ring r;
  if (chunk_bytes == 0) return bad_argument(error, "chunkBytes must be at least 1");
  if (ring_open(view, &r, error) != 0 || check_fits(&r, chunk_bytes, error) != 0) return -1;
  char *chunk = new_buffer(chunk_bytes);
  if (!chunk) return fail(error, ENOMEM, "malloc", NULL);
  memset(timing, 0, sizeof *timing);
  int rc = 0;
  timing->start_ns = monotonic_ns();
  for (uint64_t left = total_bytes; left > 0;) {
    size_t n = left < chunk_bytes ? (size_t)left : chunk_bytes;
    if ((rc = ring_put(&r, chunk, n, error)) != 0) break;
    left -= n;
    timing->bytes += n;
    timing->calls++;
  }
  timing->end_ns = monotonic_ns();
  free(chunk);
  return rc;
}

int loop_ring_consume(ring_view view, uint64_t total_bytes, size_t chunk_bytes, loop_timing *timing, loop_error *error) {
  ring r;
  (void)chunk_bytes; /* each get takes one whole item, whatever its length */
  if (ring_open(view, &r, error) != 0) return -1;
  char *item = new_buffer((size_t)r.slot_bytes);
  if (!item) return fail(error, ENOMEM, "malloc", NULL);
  memset(timing, 0, sizeof *timing);
  int rc = 0;
  timing->start_ns = monotonic_ns();
  while (timing->bytes < total_bytes) {
    ssize_t got = ring_get(&r, item, error);
    if (got < 0) {
      rc = -1;
      break;
    }
    timing->bytes += (uint64_t)got;
    timing->calls++;
  }
  timing->end_ns = monotonic_ns();
  free(item);
  return rc;
}

int loop_ring_ping(ring_view to_view, ring_view from_view, uint32_t round_trips, size_t message_bytes, loop_timing *timing, loop_error *error) {
  ring to, from;
  if (check_round_trips(round_trips, message_bytes, error) != 0) return -1;
  if (ring_open(to_view, &to, error) != 0 || ring_open(from_view, &from, error) != 0 || check_fits(&to, message_bytes, error) != 0) return -1;
  char *message = new_buffer((size_t)from.slot_bytes > message_bytes ? (size_t)from.slot_bytes : message_bytes);
  uint64_t *samples = malloc(round_trips * sizeof *samples);
  if (!message || !samples) {
    free(message);
    free(samples);
    return fail(error, ENOMEM, "malloc", NULL);
  }
  memset(timing, 0, sizeof *timing);
  int rc = 0;
  uint32_t done = 0;
  timing->start_ns = monotonic_ns();
  uint64_t before = timing->start_ns;
  for (; done < round_trips; done++) {
    if ((rc = ring_put(&to, message, message_bytes, error)) != 0) break;
    ssize_t got = ring_get(&from, message, error);
    if (got < 0) {
      rc = -1;
      break;
    }
    uint64_t after = monotonic_ns();
    samples[done] = after - before;
    before = after;
    timing->bytes += message_bytes + (uint64_t)got;
    timing->calls += 2;
  }
  timing->end_ns = monotonic_ns();
  set_percentiles(timing, samples, done);
  free(message);
  free(samples);
  return rc;
}

int loop_ring_pong(ring_view from_view, ring_view to_view, uint32_t round_trips, size_t message_bytes, loop_timing *timing, loop_error *error) {
  ring to, from;
  if (check_round_trips(round_trips, message_bytes, error) != 0) return -1;
  if (ring_open(from_view, &from, error) != 0 || ring_open(to_view, &to, error) != 0) return -1;
  char *message = new_buffer((size_t)from.slot_bytes);
  if (!message) return fail(error, ENOMEM, "malloc", NULL);
  memset(timing, 0, sizeof *timing);
  int rc = 0;
  timing->start_ns = monotonic_ns();
  for (uint32_t done = 0; done < round_trips; done++) {
    ssize_t got = ring_get(&from, message, error);
    if (got < 0 || check_fits(&to, (size_t)got, error) != 0 || (rc = ring_put(&to, message, (size_t)got, error)) != 0) {
      rc = -1;
      break;
    }
    timing->bytes += 2 * (uint64_t)got;
    timing->calls += 2;
  }
  timing->end_ns = monotonic_ns();
  free(message);
  return rc;
}

#endif
