/*
 * plain-loops: the reference for `npm run bench` section 10. A plain C program, no Node anywhere: it
 * creates one kernel object, fork()s, and the two processes run the loop the app's native loops run
 * (main/native/measure-loops.c), so the bench can tell whether calling them from a Node process costs
 * anything (the in-app figure should be within 20 % of this one).
 *
 *   plain-loops <mechanism> bulk <totalBytes> <chunkBytes>     writer (parent) -> reader (child)
 *   plain-loops <mechanism> rtt  <roundTrips> <messageBytes>   ping (parent) <-> pong (child)
 *   mechanism: pipe | fifo | unix | tcp | mq | ring
 *
 * Prints one JSON line: {"startNs", "endNs", "bytes", "p50", "p90", "p99"}: bulk from the writer's first
 * write to the reader's last read (both CLOCK_MONOTONIC, one clock for both processes), rtt the ping
 * side's round trips in ns (nearest rank).
 *
 * The descriptor loops (pipe, FIFO, sockets, queues) are written here again, plainly, with blocking
 * descriptors. The ring is the app's ring (layout and futex protocol of ring-buffer.ts), so its loop is
 * the one of measure-loops.c, compiled in; this program lays the ring out in an anonymous shared mapping,
 * as RingBuffer.create does in a segment.
 *
 * Built by the bench with `cc -O2` into a temporary directory. Everything it creates (FIFO, socket
 * file, queues) is removed before it exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../../main/native/measure-loops.c"

static void die(const char *what) {
  fprintf(stderr, "plain-loops: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint64_t plain_now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Runs the calling process on one CPU only (sched_setaffinity(2)): the bench pins both sides of both
 * programs the same way, so that where the scheduler happens to put them does not decide the ratio. */
static void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
}

/* What the two processes tell each other: in a shared anonymous mapping made before fork(). */
typedef struct {
  uint64_t writer_start, reader_end, bytes;
  double p50, p90, p99;
} shared_result;

static void plain_write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) die("write");
    p += w;
    n -= (size_t)w;
  }
}

static void plain_read_all(int fd, char *p, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) die("read");
    p += r;
    n -= (size_t)r;
  }
}

static int plain_cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void percentiles(uint64_t *s, uint64_t n, shared_result *out) {
  qsort(s, n, sizeof *s, plain_cmp);
  double q[3] = {0.5, 0.9, 0.99};
  double *o[3] = {&out->p50, &out->p90, &out->p99};
  for (int i = 0; i < 3; i++) {
    uint64_t rank = (uint64_t)(q[i] * (double)n + 0.999999);
    *o[i] = (double)s[(rank ? rank : 1) - 1];
  }
}

/* ----- descriptors: one object, two ends ----- */

typedef struct {
  int parent_write, parent_read, child_write, child_read;
} ends;

static char scratch[64];

static int tcp_listener(struct sockaddr_in *address) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(address, 0, sizeof *address);
  address->sin_family = AF_INET;
  address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof *address;
  if (fd < 0 || bind(fd, (struct sockaddr *)address, sizeof *address) != 0 || listen(fd, 1) != 0 ||
      getsockname(fd, (struct sockaddr *)address, &length) != 0)
    die("tcp listen");
  return fd;
}

/* A connected pair of stream sockets: Unix at a path, or TCP on 127.0.0.1 (TCP_NODELAY, like the lab). */
static void socket_pair(int tcp, int *a, int *b) {
  int one = 1;
  if (tcp) {
    struct sockaddr_in address;
    int listener = tcp_listener(&address);
    *a = socket(AF_INET, SOCK_STREAM, 0);
    if (*a < 0 || connect(*a, (struct sockaddr *)&address, sizeof address) != 0) die("tcp connect");
    *b = accept(listener, NULL, NULL);
    close(listener);
    setsockopt(*a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(*b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  } else {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path, sizeof address.sun_path, "%s/s.sock", scratch);
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 1) != 0) die("unix listen");
    *a = socket(AF_UNIX, SOCK_STREAM, 0);
    if (*a < 0 || connect(*a, (struct sockaddr *)&address, sizeof address) != 0) die("unix connect");
    *b = accept(listener, NULL, NULL);
    close(listener);
    unlink(address.sun_path);
  }
  if (*b < 0) die("accept");
}

/* Opens the descriptors of one mechanism; for the FIFO the opens happen after fork (see open_fifo_ends). */
static ends make_ends(const char *mechanism, int round_trip) {
  ends e = {-1, -1, -1, -1};
  if (!strcmp(mechanism, "pipe")) {
    int there[2], back[2];
    if (pipe(there) != 0 || pipe(back) != 0) die("pipe");
    e = (ends){there[1], back[0], back[1], there[0]};
    if (!round_trip) close(back[0]), close(back[1]), e.parent_read = e.child_write = -1;
  } else if (!strcmp(mechanism, "unix") || !strcmp(mechanism, "tcp")) {
    int a, b;
    socket_pair(!strcmp(mechanism, "tcp"), &a, &b);
    e = (ends){a, a, b, b};
  } else if (!strcmp(mechanism, "fifo")) {
    char path[160];
    snprintf(path, sizeof path, "%s/there", scratch);
    if (mkfifo(path, 0600) != 0) die("mkfifo");
    snprintf(path, sizeof path, "%s/back", scratch);
    if (mkfifo(path, 0600) != 0) die("mkfifo");
  }
  return e;
}

/* A FIFO is opened by path by each process: writer side first "there", then "back", in the same order on both sides. */
static void open_fifo_ends(ends *e, int parent, int round_trip) {
  char there[160], back[160];
  snprintf(there, sizeof there, "%s/there", scratch);
  snprintf(back, sizeof back, "%s/back", scratch);
  if (parent) {
    if ((e->parent_write = open(there, O_WRONLY)) < 0) die("open fifo");
    if (round_trip && (e->parent_read = open(back, O_RDONLY)) < 0) die("open fifo");
  } else {
    if ((e->child_read = open(there, O_RDONLY)) < 0) die("open fifo");
    if (round_trip && (e->child_write = open(back, O_WRONLY)) < 0) die("open fifo");
  }
}

/* ----- the ring: RingBuffer.create's layout in an anonymous shared mapping ----- */

static char *make_ring(int32_t slots, int32_t slot_bytes, size_t *bytes) {
  size_t header = H_PUT_MUTEX + 2 * mutex_bytes();
  size_t stride = S_DATA + (((size_t)slot_bytes + 3) & ~(size_t)3);
  *bytes = (header + (size_t)slots * stride + 7) & ~(size_t)7;
  char *base = mmap(NULL, *bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) die("mmap");
  store(base, H_FLAGS, FLAG_BOUNDED);
  store(base, H_SLOTS, slots);
  store(base, H_SLOT_BYTES, slot_bytes);
  store(base, H_EMPTY + SEM_VALUE, slots);
  for (int m = 0; m < 2; m++) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init((pthread_mutex_t *)(base + H_PUT_MUTEX + (size_t)m * mutex_bytes() + MUTEX_PTHREAD), &attr);
    pthread_mutexattr_destroy(&attr);
  }
  store(base, H_MAGIC, RING_MAGIC);
  return base;
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 7) {
    fprintf(stderr, "usage: plain-loops pipe|fifo|unix|tcp|mq|ring bulk|rtt <totalBytes|roundTrips> <chunkBytes|messageBytes> [<parentCpu> <childCpu>]\n");
    return 2;
  }
  const char *mechanism = argv[1];
  int round_trip = !strcmp(argv[2], "rtt");
  uint64_t count = strtoull(argv[3], NULL, 10);
  size_t size = (size_t)strtoull(argv[4], NULL, 10);
  if (count == 0 || size == 0) return 2;
  snprintf(scratch, sizeof scratch, "/tmp/plain-loops-XXXXXX");
  if (!mkdtemp(scratch)) die("mkdtemp");

  shared_result *result = mmap(NULL, sizeof *result, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (result == MAP_FAILED) die("mmap");
  int is_mq = !strcmp(mechanism, "mq"), is_ring = !strcmp(mechanism, "ring");
  ends e = is_mq || is_ring ? (ends){-1, -1, -1, -1} : make_ends(mechanism, round_trip);
  char there_name[64], back_name[64];
  snprintf(there_name, sizeof there_name, "/ipc-lab-bench-c-%d-there", getpid());
  snprintf(back_name, sizeof back_name, "/ipc-lab-bench-c-%d-back", getpid());
  mqd_t there_q = -1, back_q = -1;
  if (is_mq) {
    struct mq_attr attr = {.mq_maxmsg = 10, .mq_msgsize = (long)size};
    there_q = mq_open(there_name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    back_q = mq_open(back_name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    if (there_q < 0 || back_q < 0) die("mq_open");
    mq_unlink(there_name); /* the descriptors keep the queues until both processes close them */
    mq_unlink(back_name);
  }
  ring_view there_ring = {0}, back_ring = {0};
  if (is_ring) {
    there_ring.base = make_ring(16, (int32_t)(size > 64 ? size : 64), &there_ring.available);
    back_ring.base = make_ring(16, (int32_t)(size > 64 ? size : 64), &back_ring.available);
  }

  char *buffer = malloc(size);
  memset(buffer, 0x5a, size);
  uint64_t *samples = round_trip ? malloc(count * sizeof *samples) : NULL;
  pid_t child = fork();
  if (child < 0) die("fork");
  int parent = child != 0;
  if (argc == 7) pin_to_cpu(atoi(argv[parent ? 5 : 6]));
  if (!strcmp(mechanism, "fifo")) open_fifo_ends(&e, parent, round_trip);
  loop_timing t;
  loop_error err;

  if (!round_trip && parent) { /* the writer */
    result->writer_start = plain_now_ns();
    if (is_ring) {
      if (loop_ring_produce(there_ring, count, size, &t, &err) != 0) die(err.explanation);
    } else {
      for (uint64_t left = count; left > 0;) {
        size_t n = left < size ? (size_t)left : size;
        if (is_mq) {
          if (mq_send(there_q, buffer, n, 0) != 0) die("mq_send");
        } else {
          plain_write_all(e.parent_write, buffer, n);
        }
        left -= n;
      }
    }
  } else if (!round_trip) { /* the reader */
    uint64_t got = 0;
    if (is_ring) {
      if (loop_ring_consume(there_ring, count, size, &t, &err) != 0) die(err.explanation);
      got = t.bytes;
    } else {
      while (got < count) {
        ssize_t r = is_mq ? mq_receive(there_q, buffer, size, NULL) : read(e.child_read, buffer, size);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) die(is_mq ? "mq_receive" : "read");
        got += (uint64_t)r;
      }
    }
    result->reader_end = plain_now_ns();
    result->bytes = got;
  } else if (parent) { /* ping */
    if (is_ring) {
      if (loop_ring_ping(there_ring, back_ring, (uint32_t)count, size, &t, &err) != 0) die(err.explanation);
      result->p50 = t.p50_ns, result->p90 = t.p90_ns, result->p99 = t.p99_ns;
    } else {
      uint64_t before = plain_now_ns();
      result->writer_start = before;
      for (uint64_t i = 0; i < count; i++) {
        if (is_mq) {
          if (mq_send(there_q, buffer, size, 0) != 0 || mq_receive(back_q, buffer, size, NULL) < 0) die("mq ping");
        } else {
          plain_write_all(e.parent_write, buffer, size);
          plain_read_all(e.parent_read, buffer, size);
        }
        uint64_t after = plain_now_ns();
        samples[i] = after - before;
        before = after;
      }
      percentiles(samples, count, result);
    }
    result->bytes = 2 * count * size;
  } else { /* pong */
    if (is_ring) {
      if (loop_ring_pong(there_ring, back_ring, (uint32_t)count, size, &t, &err) != 0) die(err.explanation);
    } else {
      for (uint64_t i = 0; i < count; i++) {
        if (is_mq) {
          ssize_t r = mq_receive(there_q, buffer, size, NULL);
          if (r < 0 || mq_send(back_q, buffer, (size_t)r, 0) != 0) die("mq pong");
        } else {
          plain_read_all(e.child_read, buffer, size);
          plain_write_all(e.child_write, buffer, size);
        }
      }
    }
  }
  if (!parent) _exit(0);
  int status;
  if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "plain-loops: the child process failed\n");
    return 1;
  }
  if (!strcmp(mechanism, "fifo")) {
    char path[160];
    snprintf(path, sizeof path, "%s/there", scratch);
    unlink(path);
    snprintf(path, sizeof path, "%s/back", scratch);
    unlink(path);
  }
  rmdir(scratch);
  printf("{\"startNs\":\"%llu\",\"endNs\":\"%llu\",\"bytes\":%llu,\"p50\":%.0f,\"p90\":%.0f,\"p99\":%.0f}\n",
         (unsigned long long)result->writer_start, (unsigned long long)result->reader_end, (unsigned long long)result->bytes,
         result->p50, result->p90, result->p99);
  return 0;
}
