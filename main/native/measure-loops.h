/*
 * measure-loops: the same system calls a lab program makes, in a tight C loop, timed. See
 * measure-loops.c for what each loop does and why; ipc-lab-native.c turns them into JS functions
 * (main/runtime/native-loops.ts).
 */
#ifndef IPC_LAB_MEASURE_LOOPS_H
#define IPC_LAB_MEASURE_LOOPS_H

#include <stddef.h>
#include <stdint.h>

/* What a loop measured. Times are CLOCK_MONOTONIC nanoseconds, the clock of the trace's `ts`. */
typedef struct {
  uint64_t start_ns;    /* just before the first system call */
  uint64_t end_ns;      /* just after the last one returned */
  uint64_t bytes;       /* bytes this process moved (written, read, sent, received, copied) */
  uint64_t calls;       /* system calls (or ring puts and gets) that moved data */
  int has_round_trips;  /* ping loops only: the three percentiles below are set */
  double p50_ns, p90_ns, p99_ns;
} loop_timing;

/* Why a loop stopped early: an errno, the call that failed, and a sentence with the fix. */
typedef struct {
  int err;
  char syscall[40];
  char explanation[400];
} loop_error;

/* Each returns 0 when it finished, -1 with *error filled when it could not. */
int loop_write(int fd, uint64_t total_bytes, size_t chunk_bytes, loop_timing *timing, loop_error *error);
int loop_read(int fd, uint64_t total_bytes, size_t chunk_bytes, loop_timing *timing, loop_error *error);
int loop_ping(int write_fd, int read_fd, uint32_t round_trips, size_t message_bytes, loop_timing *timing, loop_error *error);
int loop_pong(int read_fd, int write_fd, uint32_t round_trips, size_t message_bytes, loop_timing *timing, loop_error *error);

#ifdef __linux__
int loop_mq_send(int mqd, uint64_t total_bytes, size_t message_bytes, loop_timing *timing, loop_error *error);
int loop_mq_receive(int mqd, uint64_t total_bytes, size_t message_bytes, loop_timing *timing, loop_error *error);
int loop_mq_ping(int send_mqd, int receive_mqd, uint32_t round_trips, size_t message_bytes, loop_timing *timing, loop_error *error);
int loop_mq_pong(int receive_mqd, int send_mqd, uint32_t round_trips, size_t message_bytes, loop_timing *timing, loop_error *error);

/* A ring buffer laid out by main/runtime/shared-memory/ring-buffer.ts, `available` bytes from `ring`. */
typedef struct {
  char *base;
  size_t available;
} ring_view;

int loop_ring_produce(ring_view ring, uint64_t total_bytes, size_t chunk_bytes, loop_timing *timing, loop_error *error);
int loop_ring_consume(ring_view ring, uint64_t total_bytes, size_t chunk_bytes, loop_timing *timing, loop_error *error);
int loop_ring_ping(ring_view to_peer, ring_view from_peer, uint32_t round_trips, size_t message_bytes, loop_timing *timing, loop_error *error);
int loop_ring_pong(ring_view from_peer, ring_view to_peer, uint32_t round_trips, size_t message_bytes, loop_timing *timing, loop_error *error);
#endif

#endif
