/*
 * ipc-lab-native: the few kernel calls Node does not expose, as a small N-API addon.
 *
 * Contract:
 * - Every function takes and returns plain numbers and strings. File descriptors are ints that the
 *   caller owns: close them with fs.closeSync.
 * - Errors throw a JS Error whose `code` is the errno name (EPIPE, EEXIST, ...) and whose `syscall`
 *   names the call, like Node's own fs errors, so lab programs can handle both the same way.
 * - Nothing here ever hands kernel memory to JS as an external buffer: Electron's V8 memory cage
 *   forbids it. Later mechanisms (shared memory) copy in and out.
 *
 * Why native: pipe(2), mkfifo(3) and mq_open(3) have no Node API, a lab that promises a pipe must create a pipe
 * (Node's spawn "pipe" is a socketpair), and a lab process must die with its parent even when it is
 * blocked in a system call (prctl PR_SET_PDEATHSIG). The measure loops (measure-loops.c, glue near the
 * end of this file) exist so that a lab can show the kernel's cost without Node's per-message cost.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <dirent.h>
#include <stdlib.h>
#include <stdint.h>
#include <limits.h>
#include <math.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <pthread.h>
#include <mqueue.h>
#include <time.h>
#endif
#include <node_api.h>
#include "measure-loops.h"

#define CHECK_NAPI(env, call)                                                        \
  do {                                                                              \
    if ((call) != napi_ok) {                                                        \
      napi_throw_error((env), "ENAPI", "internal N-API call failed: " #call);       \
      return NULL;                                                                  \
    }                                                                               \
  } while (0)

static const char *errno_name(int err) {
  switch (err) {
    case EPIPE: return "EPIPE";
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENOTDIR: return "ENOTDIR";
    case EBADF: return "EBADF";
    case EPERM: return "EPERM";
    case ENOSYS: return "ENOSYS";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EOVERFLOW: return "EOVERFLOW";
    case ENOMEM: return "ENOMEM";
    case EFAULT: return "EFAULT";
    case EINTR: return "EINTR";
    case ENOSPC: return "ENOSPC";
    case EFBIG: return "EFBIG";
    case ENODEV: return "ENODEV";
    case EMSGSIZE: return "EMSGSIZE";
    case EBUSY: return "EBUSY";
    case EDEADLK: return "EDEADLK";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOTCONN: return "ENOTCONN";
    default: return "EUNKNOWN";
  }
}

/* Throws an Error shaped like Node's fs errors: message "syscall 'path': strerror (CODE)", then the
 * explanation if there is one; .code, .errno, .syscall and .path. */
static void throw_errno_explained(napi_env env, const char *syscall, int err, const char *path, const char *explanation) {
  char message[1024];
  int used = path ? snprintf(message, sizeof message, "%s '%s': %s (%s)", syscall, path, strerror(err), errno_name(err))
                  : snprintf(message, sizeof message, "%s: %s (%s)", syscall, strerror(err), errno_name(err));
  if (explanation && used > 0 && (size_t)used < sizeof message)
    snprintf(message + used, sizeof message - (size_t)used, ". %s", explanation);
  napi_value msg, code, error, errno_value, syscall_value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_set_named_property(env, error, "code", code);
  napi_create_int32(env, -err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value);
  napi_set_named_property(env, error, "syscall", syscall_value);
  if (path) {
    napi_value path_value;
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &path_value);
    napi_set_named_property(env, error, "path", path_value);
  }
  napi_throw(env, error);
}

static napi_value throw_errno(napi_env env, const char *syscall, int err, const char *path) {
  throw_errno_explained(env, syscall, err, path, NULL);
  return NULL;
}

static int get_args(napi_env env, napi_callback_info info, size_t expected, napi_value *argv) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < expected) {
    napi_throw_type_error(env, "EARGS", "wrong number of arguments");
    return 0;
  }
  return 1;
}

static int get_int(napi_env env, napi_value value, const char *name, int32_t *out) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type != napi_number || napi_get_value_int32(env, value, out) != napi_ok) {
    char message[128];
    snprintf(message, sizeof message, "%s must be an integer", name);
    napi_throw_type_error(env, "EARGS", message);
    return 0;
  }
  return 1;
}

static int get_path(napi_env env, napi_value value, const char *name, char *out, size_t size) {
  napi_valuetype type;
  size_t length = 0;
  napi_typeof(env, value, &type);
  if (type != napi_string || napi_get_value_string_utf8(env, value, out, size, &length) != napi_ok ||
      length == 0 || length >= size - 1) {
    char message[160];
    snprintf(message, sizeof message, "%s must be a non-empty path shorter than %zu bytes", name, size - 1);
    napi_throw_type_error(env, "EARGS", message);
    return 0;
  }
  return 1;
}

/* pipe(): { readFd, writeFd }. Both ends are blocking and close-on-exec, so a spawned program only
 * gets the end it is handed explicitly in its stdio array. */
static napi_value Pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
#ifdef __linux__
  if (pipe2(fds, O_CLOEXEC) != 0) return throw_errno(env, "pipe", errno, NULL);
#else
  if (pipe(fds) != 0) return throw_errno(env, "pipe", errno, NULL);
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
#endif
  napi_value result, read_fd, write_fd;
  CHECK_NAPI(env, napi_create_object(env, &result));
  CHECK_NAPI(env, napi_create_int32(env, fds[0], &read_fd));
  CHECK_NAPI(env, napi_create_int32(env, fds[1], &write_fd));
  CHECK_NAPI(env, napi_set_named_property(env, result, "readFd", read_fd));
  CHECK_NAPI(env, napi_set_named_property(env, result, "writeFd", write_fd));
  return result;
}

/* mkfifo(path, mode): creates a named pipe. Opening it is the caller's business (with O_NONBLOCK from
 * the host: a blocking open would tie up one of libuv's four threadpool threads). */
static napi_value Mkfifo(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char path[4096];
  int32_t mode;
  if (!get_args(env, info, 2, argv) || !get_path(env, argv[0], "path", path, sizeof path) ||
      !get_int(env, argv[1], "mode", &mode))
    return NULL;
  if (mkfifo(path, (mode_t)mode) != 0) return throw_errno(env, "mkfifo", errno, path);
  return NULL;
}

/* pipeCapacity(fd): the kernel's capacity for this pipe in bytes (fcntl F_GETPIPE_SZ, Linux only). */
static napi_value PipeCapacity(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], "fd", &fd)) return NULL;
#ifdef F_GETPIPE_SZ
  int size = fcntl(fd, F_GETPIPE_SZ);
  if (size < 0) return throw_errno(env, "fcntl(F_GETPIPE_SZ)", errno, NULL);
  CHECK_NAPI(env, napi_create_int32(env, size, &result));
  return result;
#else
  return throw_errno(env, "fcntl(F_GETPIPE_SZ)", ENOSYS, NULL);
#endif
}

/* bytesInPipe(fd): how many bytes the pipe or FIFO holds now, unread: ioctl(fd, FIONREAD) on either end
 * (man 7 pipe, "I/O on pipes and FIFOs"; the kernel's pipe_ioctl sums the lengths of its buffers, in
 * fs/pipe.c). A reading of the kernel, not the program's own arithmetic. */
static napi_value BytesInPipe(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  int32_t fd;
  int count = 0;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], "fd", &fd)) return NULL;
  if (ioctl(fd, FIONREAD, &count) != 0) return throw_errno(env, "ioctl(FIONREAD)", errno, NULL);
  CHECK_NAPI(env, napi_create_int32(env, count, &result));
  return result;
}

/* connectUnixSocket(path): a *blocking* connected SOCK_STREAM fd, close-on-exec. Used for the trace
 * channel so that lab programs can write events synchronously, right before a call that may block. */
static napi_value ConnectUnixSocket(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  struct sockaddr_un address;
  if (!get_args(env, info, 1, argv) ||
      !get_path(env, argv[0], "path", address.sun_path, sizeof address.sun_path))
    return NULL;
  address.sun_family = AF_UNIX;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno, NULL);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "connect", err, address.sun_path);
  }
  CHECK_NAPI(env, napi_create_int32(env, fd, &result));
  return result;
}

/* peerCredentials(fd): who is at the other end of a connected Unix socket, as the kernel recorded it
 * when that process called connect() (SO_PEERCRED, unix(7)): {pid, uid, gid}. The peer cannot forge it,
 * unlike anything it writes. The pid is the connecting process's even after it exits (then it may name
 * nobody, or a newer process). On systems without SO_PEERCRED it throws an Error with code ENOSYS. */
static napi_value PeerCredentials(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], "fd", &fd)) return NULL;
#ifdef SO_PEERCRED
  struct ucred cred;
  socklen_t length = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return throw_errno(env, "getsockopt(SO_PEERCRED)", errno, NULL);
  napi_value pid, uid, gid;
  CHECK_NAPI(env, napi_create_object(env, &result));
  CHECK_NAPI(env, napi_create_int32(env, cred.pid, &pid));
  CHECK_NAPI(env, napi_create_uint32(env, cred.uid, &uid));
  CHECK_NAPI(env, napi_create_uint32(env, cred.gid, &gid));
  CHECK_NAPI(env, napi_set_named_property(env, result, "pid", pid));
  CHECK_NAPI(env, napi_set_named_property(env, result, "uid", uid));
  CHECK_NAPI(env, napi_set_named_property(env, result, "gid", gid));
  return result;
#else
  return throw_errno(env, "getsockopt(SO_PEERCRED)", ENOSYS, NULL);
#endif
}

/* setParentDeathSignal(signal, expectedParentPid): the kernel sends `signal` to this process when its
 * parent dies, even while it is blocked in read() or write(). Returns false when the parent already
 * died before the call (the caller should exit). On systems without prctl it returns true and does
 * nothing; the trace channel closing is the fallback there. */
static napi_value SetParentDeathSignal(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  int32_t sig, expected_parent;
  if (!get_args(env, info, 2, argv) || !get_int(env, argv[0], "signal", &sig) ||
      !get_int(env, argv[1], "expectedParentPid", &expected_parent))
    return NULL;
  int alive = 1;
#ifdef __linux__
  if (prctl(PR_SET_PDEATHSIG, sig) != 0) return throw_errno(env, "prctl(PR_SET_PDEATHSIG)", errno, NULL);
  alive = getppid() == expected_parent;
#endif
  CHECK_NAPI(env, napi_get_boolean(env, alive, &result));
  return result;
}

/* markInheritedCloseOnExec(minFd): sets FD_CLOEXEC on every descriptor >= minFd of this process and
 * returns how many were not close-on-exec yet. The host calls it once at start: descriptors it inherited
 * from whatever started it (a shell, an IDE, a test runner) would otherwise leak into every lab process
 * and show up in the kernel view as objects the lab never made. Its own descriptors (libuv's, SQLite's)
 * are close-on-exec already; lab processes get exactly the descriptors they are handed. */
static napi_value MarkInheritedCloseOnExec(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  int32_t min_fd;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], "minFd", &min_fd)) return NULL;
  int changed = 0;
  DIR *dir = opendir("/proc/self/fd");
  if (dir) {
    int dir_fd = dirfd(dir);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      int fd = atoi(entry->d_name);
      if (fd < min_fd || fd == dir_fd) continue;
      int flags = fcntl(fd, F_GETFD);
      if (flags >= 0 && !(flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == 0) changed++;
    }
    closedir(dir);
  } else {
    long max_fd = sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 65536) max_fd = 65536;
    for (int fd = min_fd; fd < max_fd; fd++) {
      int flags = fcntl(fd, F_GETFD);
      if (flags >= 0 && !(flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == 0) changed++;
    }
  }
  CHECK_NAPI(env, napi_create_int32(env, changed, &result));
  return result;
}

/* ---------------------------------------------------------------------------------------------------
 * POSIX shared memory, 32-bit atomics and futexes.
 *
 * Contract:
 * - A segment is mapped here, in C, and lives in a per-environment handle table (int handle ->
 *   {address, size, name}); JS only ever holds the handle. Reads and writes copy (Electron's V8
 *   memory cage forbids external ArrayBuffers, so the mapping can never become a Buffer).
 * - Handles start at 1 and are never reused: a handle used after shmDetach throws a clear error
 *   instead of silently reaching another segment. Each Node environment (main thread, each worker)
 *   has its own table; mappings left when an environment ends are unmapped then.
 * - Every offset is bounds-checked (offset + length <= size); atomics and futexes also need a 4-byte
 *   aligned offset. Both throw a RangeError naming the offset, the size and the fix.
 * - Atomics are sequentially consistent (__atomic_*, __ATOMIC_SEQ_CST) on signed 32-bit words.
 * - futexWait uses FUTEX_WAIT *without* FUTEX_PRIVATE_FLAG: the word is shared between processes, and
 *   a private futex is keyed by (mm, address), which differs in every process.
 *
 * Other systems (not implemented yet; the functions throw ENOSYS there):
 * - macOS: shm_open + ftruncate + mmap exactly as below (names are limited to 31 bytes, PSHMNAMLEN);
 *   futexWait/futexWake via os_sync_wait_on_address / os_sync_wake_by_address_any (macOS 14.4+, with
 *   OS_SYNC_WAIT_ON_ADDRESS_SHARED / OS_SYNC_WAKE_BY_ADDRESS_SHARED for cross-process words).
 * - Windows: CreateFileMapping(INVALID_HANDLE_VALUE, ..., name) + MapViewOfFile for segments
 *   (a mapping lives while a handle is open: there is no unlink). WaitOnAddress only works within one
 *   process, so cross-process waiting needs kernel objects: one named semaphore (CreateSemaphore
 *   "Local\\ipc-lab-<segment>-<offset>") per futex word, wait = WaitForSingleObject, wake = ReleaseSemaphore.
 * ------------------------------------------------------------------------------------------------- */

#if defined(__APPLE__)
#define SHM_OS_NAME "macOS"
#elif defined(_WIN32)
#define SHM_OS_NAME "Windows"
#elif defined(__linux__)
#define SHM_OS_NAME "Linux"
#else
#define SHM_OS_NAME "this operating system"
#endif

#ifdef __linux__

#define SHM_NAME_MAX 255

typedef struct {
  void *address; /* NULL once detached */
  size_t size;
  char name[SHM_NAME_MAX + 1];
} shm_entry;

typedef struct {
  shm_entry *entries; /* entries[handle - 1] */
  size_t count;
  size_t capacity;
} shm_table;

static void shm_table_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  shm_table *table = data;
  for (size_t i = 0; i < table->count; i++)
    if (table->entries[i].address) munmap(table->entries[i].address, table->entries[i].size);
  free(table->entries);
  free(table);
}

static shm_table *get_table(napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) != napi_ok || data == NULL) {
    shm_table *table = calloc(1, sizeof *table);
    if (!table || napi_set_instance_data(env, table, shm_table_finalize, NULL) != napi_ok) {
      free(table);
      napi_throw_error(env, "ENOMEM", "cannot allocate the shared-memory handle table");
      return NULL;
    }
    return table;
  }
  return data;
}

static void throw_coded(napi_env env, const char *kind, const char *code, const char *message) {
  napi_value code_value, msg, error;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  if (kind[0] == 'R')
    napi_create_range_error(env, code_value, msg, &error);
  else if (kind[0] == 'T')
    napi_create_type_error(env, code_value, msg, &error);
  else
    napi_create_error(env, code_value, msg, &error);
  napi_set_named_property(env, error, "code", code_value);
  napi_throw(env, error);
}

/* A POSIX IPC name (shared-memory segment or message queue): "/something", no other '/', at most
 * 255 bytes (NAME_MAX). `what` names the kind of object in the error. */
static int get_posix_name(napi_env env, napi_value value, const char *what, char *out) {
  char buffer[SHM_NAME_MAX + 2];
  size_t length = 0;
  napi_valuetype type;
  napi_typeof(env, value, &type);
  int ok = type == napi_string &&
           napi_get_value_string_utf8(env, value, buffer, sizeof buffer, &length) == napi_ok &&
           length >= 2 && length <= SHM_NAME_MAX && buffer[0] == '/' && strchr(buffer + 1, '/') == NULL;
  if (!ok) {
    char message[256];
    snprintf(message, sizeof message,
             "a %s name must start with '/', contain no other '/', and be 2 to 255 bytes long. "
             "Fix: use a name like '/ipc-lab-demo'.",
             what);
    throw_coded(env, "TypeError", "EINVAL", message);
    return 0;
  }
  memcpy(out, buffer, length + 1);
  return 1;
}

static int get_shm_name(napi_env env, napi_value value, char *out) {
  return get_posix_name(env, value, "shared-memory", out);
}

/* A non-negative integer up to 2^53 (sizes, offsets, lengths). */
static int get_index(napi_env env, napi_value value, const char *name, uint64_t *out) {
  napi_valuetype type;
  double number;
  napi_typeof(env, value, &type);
  if (type != napi_number || napi_get_value_double(env, value, &number) != napi_ok || !(number >= 0) ||
      number > 9007199254740991.0 || floor(number) != number) {
    char message[160];
    snprintf(message, sizeof message, "%s must be a non-negative integer", name);
    throw_coded(env, "TypeError", "EARGS", message);
    return 0;
  }
  *out = (uint64_t)number;
  return 1;
}

/* The live entry of a handle, or NULL after throwing (unknown handle, detached handle). */
static shm_entry *get_segment(napi_env env, napi_value value) {
  int32_t handle;
  if (!get_int(env, value, "handle", &handle)) return NULL;
  shm_table *table = get_table(env);
  if (!table) return NULL;
  char message[1024];
  if (handle < 1 || (size_t)handle > table->count) {
    snprintf(message, sizeof message,
             "shared-memory handle %d does not exist in this process (handles come from shmCreate or "
             "shmAttach, and belong to the process and thread that made them)",
             handle);
    throw_coded(env, "Error", "EBADF", message);
    return NULL;
  }
  shm_entry *entry = &table->entries[handle - 1];
  if (!entry->address) {
    snprintf(message, sizeof message,
             "shared-memory handle %d ('%s') was detached and maps nothing any more. Fix: attach the "
             "segment again with shmAttach('%s') and use the new handle",
             handle, entry->name, entry->name);
    throw_coded(env, "Error", "EBADF", message);
    return NULL;
  }
  return entry;
}

/* offset + length must fit in the segment; for word access the offset must also be 4-byte aligned. */
static int check_range(napi_env env, shm_entry *entry, uint64_t offset, uint64_t length, int word) {
  char message[1024];
  if (offset > entry->size || length > entry->size - offset) {
    snprintf(message, sizeof message,
             "offset %llu + length %llu is past the end of shared-memory segment '%s' (size %zu bytes). "
             "Fix: keep offset + length <= %zu, or create the segment bigger",
             (unsigned long long)offset, (unsigned long long)length, entry->name, entry->size, entry->size);
    throw_coded(env, "RangeError", "ERR_OUT_OF_RANGE", message);
    return 0;
  }
  if (word && offset % 4 != 0) {
    snprintf(message, sizeof message,
             "offset %llu in shared-memory segment '%s' (size %zu bytes) is not 4-byte aligned: 32-bit "
             "atomics and futexes need a word that starts at a multiple of 4. Fix: use offset %llu or %llu",
             (unsigned long long)offset, entry->name, entry->size, (unsigned long long)(offset & ~3ULL),
             (unsigned long long)((offset & ~3ULL) + 4));
    throw_coded(env, "RangeError", "ERR_UNALIGNED", message);
    return 0;
  }
  return 1;
}

/* The aligned, in-bounds 32-bit word at (handle, offset), or NULL after throwing. */
static int32_t *get_word(napi_env env, napi_value handle, napi_value offset_value) {
  uint64_t offset;
  shm_entry *entry = get_segment(env, handle);
  if (!entry || !get_index(env, offset_value, "offset", &offset) || !check_range(env, entry, offset, 4, 1))
    return NULL;
  return (int32_t *)((char *)entry->address + offset);
}

static napi_value new_handle(napi_env env, const char *name, void *address, size_t size) {
  shm_table *table = get_table(env);
  if (!table) {
    munmap(address, size);
    return NULL;
  }
  if (table->count == table->capacity) {
    size_t capacity = table->capacity ? table->capacity * 2 : 8;
    shm_entry *entries = capacity > INT32_MAX ? NULL : realloc(table->entries, capacity * sizeof *entries);
    if (!entries) {
      munmap(address, size);
      return throw_errno(env, "shmCreate", ENOMEM, name);
    }
    table->entries = entries;
    table->capacity = capacity;
  }
  shm_entry *entry = &table->entries[table->count++];
  entry->address = address;
  entry->size = size;
  snprintf(entry->name, sizeof entry->name, "%s", name);
  napi_value result;
  CHECK_NAPI(env, napi_create_int32(env, (int32_t)table->count, &result));
  return result;
}

/* shmCreate(name, size): a new segment (fails with EEXIST if the name exists), zero-filled, mapped. */
static napi_value ShmCreate(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char name[SHM_NAME_MAX + 1];
  uint64_t size;
  if (!get_args(env, info, 2, argv) || !get_shm_name(env, argv[0], name) || !get_index(env, argv[1], "size", &size))
    return NULL;
  if (size == 0 || size > (uint64_t)SIZE_MAX / 2) {
    throw_coded(env, "RangeError", "ERR_OUT_OF_RANGE", "a shared-memory segment needs a size of at least 1 byte");
    return NULL;
  }
  int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return throw_errno(env, "shm_open", errno, name);
  if (ftruncate(fd, (off_t)size) != 0) {
    int err = errno;
    close(fd);
    shm_unlink(name);
    return throw_errno(env, "ftruncate", err, name);
  }
  void *address = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int err = errno;
  close(fd); /* the mapping keeps the segment alive; the descriptor is no longer needed */
  if (address == MAP_FAILED) {
    shm_unlink(name);
    return throw_errno(env, "mmap", err, name);
  }
  return new_handle(env, name, address, (size_t)size);
}

/* shmAttach(name, private?): maps an existing segment; its size is the one its creator gave it
 * (fstat). private true maps it MAP_PRIVATE (copy-on-write, mmap(2)): the process sees the segment
 * until it first stores into a page, and from then on its own copy of that page; its stores never
 * reach the segment. A lesson, not a way to share. */
static napi_value ShmAttach(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char name[SHM_NAME_MAX + 1];
  size_t argc = 2;
  bool private_mapping = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, "EARGS", "wrong number of arguments");
    return NULL;
  }
  if (!get_shm_name(env, argv[0], name)) return NULL;
  if (argc >= 2) {
    napi_valuetype type;
    napi_typeof(env, argv[1], &type);
    if (type != napi_undefined && (type != napi_boolean || napi_get_value_bool(env, argv[1], &private_mapping) != napi_ok)) {
      throw_coded(env, "TypeError", "EARGS", "private must be a boolean");
      return NULL;
    }
  }
  int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "shm_open", errno, name);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "fstat", err, name);
  }
  if (st.st_size <= 0) {
    close(fd);
    char message[1024];
    snprintf(message, sizeof message,
             "shared-memory segment '%s' has size 0: its creator has not sized it (ftruncate) yet. Fix: "
             "attach after the creator says the segment is ready",
             name);
    throw_coded(env, "Error", "EINVAL", message);
    return NULL;
  }
  void *address = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, private_mapping ? MAP_PRIVATE : MAP_SHARED, fd, 0);
  int err = errno;
  close(fd);
  if (address == MAP_FAILED) return throw_errno(env, "mmap", err, name);
  return new_handle(env, name, address, (size_t)st.st_size);
}

/* shmSize(handle): the mapped size in bytes. */
static napi_value ShmSize(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  if (!get_args(env, info, 1, argv)) return NULL;
  shm_entry *entry = get_segment(env, argv[0]);
  if (!entry) return NULL;
  CHECK_NAPI(env, napi_create_double(env, (double)entry->size, &result));
  return result;
}

/* shmDetach(handle): munmap. The segment itself lives on until unlinked and unmapped everywhere. */
static napi_value ShmDetach(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  shm_entry *entry = get_segment(env, argv[0]);
  if (!entry) return NULL;
  if (munmap(entry->address, entry->size) != 0) return throw_errno(env, "munmap", errno, entry->name);
  entry->address = NULL;
  return NULL;
}

/* shmUnlink(name): removes the name; processes that have it mapped keep their mapping. */
static napi_value ShmUnlink(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char name[SHM_NAME_MAX + 1];
  if (!get_args(env, info, 1, argv) || !get_shm_name(env, argv[0], name)) return NULL;
  if (shm_unlink(name) != 0) return throw_errno(env, "shm_unlink", errno, name);
  return NULL;
}

static int get_uint8_array(napi_env env, napi_value value, const char *name, void **data, size_t *length) {
  bool is_typedarray = false;
  napi_typedarray_type type;
  napi_is_typedarray(env, value, &is_typedarray);
  if (!is_typedarray || napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a Uint8Array (or a Buffer)", name);
    throw_coded(env, "TypeError", "EARGS", message);
    return 0;
  }
  return 1;
}

/* shmWrite(handle, offset, source): copies source into the segment at offset. */
static napi_value ShmWrite(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  uint64_t offset;
  void *data;
  size_t length;
  if (!get_args(env, info, 3, argv)) return NULL;
  shm_entry *entry = get_segment(env, argv[0]);
  if (!entry || !get_index(env, argv[1], "offset", &offset) ||
      !get_uint8_array(env, argv[2], "source", &data, &length) || !check_range(env, entry, offset, length, 0))
    return NULL;
  if (length) memcpy((char *)entry->address + offset, data, length);
  return NULL;
}

/* shmRead(handle, offset, length): a new Buffer holding a copy of those bytes. */
static napi_value ShmRead(napi_env env, napi_callback_info info) {
  napi_value argv[3], result;
  uint64_t offset, length;
  if (!get_args(env, info, 3, argv)) return NULL;
  shm_entry *entry = get_segment(env, argv[0]);
  if (!entry || !get_index(env, argv[1], "offset", &offset) || !get_index(env, argv[2], "length", &length) ||
      !check_range(env, entry, offset, length, 0))
    return NULL;
  CHECK_NAPI(env, napi_create_buffer_copy(env, (size_t)length, (char *)entry->address + offset, NULL, &result));
  return result;
}

/* shmReadInto(handle, offset, target): fills target (all of it) from the segment; returns its length. */
static napi_value ShmReadInto(napi_env env, napi_callback_info info) {
  napi_value argv[3], result;
  uint64_t offset;
  void *data;
  size_t length;
  if (!get_args(env, info, 3, argv)) return NULL;
  shm_entry *entry = get_segment(env, argv[0]);
  if (!entry || !get_index(env, argv[1], "offset", &offset) ||
      !get_uint8_array(env, argv[2], "target", &data, &length) || !check_range(env, entry, offset, length, 0))
    return NULL;
  if (length) memcpy(data, (char *)entry->address + offset, length);
  CHECK_NAPI(env, napi_create_double(env, (double)length, &result));
  return result;
}

static napi_value int32_result(napi_env env, int32_t value) {
  napi_value result;
  CHECK_NAPI(env, napi_create_int32(env, value, &result));
  return result;
}

/* atomicLoad(handle, offset) */
static napi_value AtomicLoad(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  int32_t *word = get_word(env, argv[0], argv[1]);
  if (!word) return NULL;
  return int32_result(env, __atomic_load_n(word, __ATOMIC_SEQ_CST));
}

/* atomicStore(handle, offset, value) */
static napi_value AtomicStore(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t value;
  if (!get_args(env, info, 3, argv)) return NULL;
  int32_t *word = get_word(env, argv[0], argv[1]);
  if (!word || !get_int(env, argv[2], "value", &value)) return NULL;
  __atomic_store_n(word, value, __ATOMIC_SEQ_CST);
  return NULL;
}

/* atomicAdd(handle, offset, delta): the value before the addition (wraps around like int32). */
static napi_value AtomicAdd(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t delta;
  if (!get_args(env, info, 3, argv)) return NULL;
  int32_t *word = get_word(env, argv[0], argv[1]);
  if (!word || !get_int(env, argv[2], "delta", &delta)) return NULL;
  /* Unsigned arithmetic: wrap-around is defined, and the bits are those of a signed add. */
  uint32_t previous = __atomic_fetch_add((uint32_t *)word, (uint32_t)delta, __ATOMIC_SEQ_CST);
  return int32_result(env, (int32_t)previous);
}

/* atomicCompareExchange(handle, offset, expected, replacement): the value found; it was replaced
 * exactly when that value equals expected. */
static napi_value AtomicCompareExchange(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t expected, replacement;
  if (!get_args(env, info, 4, argv)) return NULL;
  int32_t *word = get_word(env, argv[0], argv[1]);
  if (!word || !get_int(env, argv[2], "expected", &expected) || !get_int(env, argv[3], "replacement", &replacement))
    return NULL;
  __atomic_compare_exchange_n(word, &expected, replacement, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return int32_result(env, expected); /* on failure, expected now holds the value found */
}

/* futexWait(handle, offset, expected, timeoutMs): sleeps while the word equals expected, at most
 * timeoutMs (relative; Infinity or a negative number: no limit). 'ok' (woken, or a signal interrupted
 * the wait: callers re-check the word, spurious wake-ups are allowed), 'not-equal' (the word already
 * differed: nothing to wait for), 'timed-out'. */
static napi_value FutexWait(napi_env env, napi_callback_info info) {
  napi_value argv[4], result;
  int32_t expected;
  double timeout_ms;
  napi_valuetype type;
  if (!get_args(env, info, 4, argv)) return NULL;
  int32_t *word = get_word(env, argv[0], argv[1]);
  if (!word || !get_int(env, argv[2], "expected", &expected)) return NULL;
  napi_typeof(env, argv[3], &type);
  if (type != napi_number || napi_get_value_double(env, argv[3], &timeout_ms) != napi_ok || isnan(timeout_ms)) {
    throw_coded(env, "TypeError", "EARGS", "timeoutMs must be a number of milliseconds (Infinity: no limit)");
    return NULL;
  }
  struct timespec timeout, *timeout_ptr = NULL;
  if (timeout_ms >= 0 && isfinite(timeout_ms) && timeout_ms < 1e15) {
    double seconds = floor(timeout_ms / 1000.0);
    timeout.tv_sec = (time_t)seconds;
    timeout.tv_nsec = (long)((timeout_ms - seconds * 1000.0) * 1e6);
    if (timeout.tv_nsec >= 1000000000L) timeout.tv_nsec = 999999999L;
    timeout_ptr = &timeout;
  }
  const char *outcome = "ok";
  long rc = syscall(SYS_futex, word, FUTEX_WAIT, expected, timeout_ptr, NULL, 0);
  if (rc != 0) {
    int err = errno;
    if (err == EAGAIN)
      outcome = "not-equal";
    else if (err == ETIMEDOUT)
      outcome = "timed-out";
    else if (err != EINTR)
      return throw_errno(env, "futex(FUTEX_WAIT)", err, NULL);
  }
  CHECK_NAPI(env, napi_create_string_utf8(env, outcome, NAPI_AUTO_LENGTH, &result));
  return result;
}

/* futexWake(handle, offset, count): wakes up to count waiters on the word; returns how many woke. */
static napi_value FutexWake(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t count;
  if (!get_args(env, info, 3, argv)) return NULL;
  int32_t *word = get_word(env, argv[0], argv[1]);
  if (!word || !get_int(env, argv[2], "count", &count)) return NULL;
  if (count < 0) count = INT32_MAX;
  long woken = syscall(SYS_futex, word, FUTEX_WAKE, count, NULL, NULL, 0);
  if (woken < 0) return throw_errno(env, "futex(FUTEX_WAKE)", errno, NULL);
  return int32_result(env, (int32_t)woken);
}

/* ---------------------------------------------------------------------------------------------------
 * Process-shared, robust pthread mutexes in a segment (main/runtime/shared-memory/mutex.ts).
 *
 * Why here and not in JS atomics: only the kernel can tell that a lock holder died. glibc registers a
 * "robust list" for every thread (set_robust_list(2)); a robust mutex that a thread holds is on that
 * list, and its futex word holds the owner's thread id. When the thread dies, however it dies
 * (SIGKILL included), the kernel walks the list (exit_robust_list -> handle_futex_death in
 * kernel/futex/core.c), sets FUTEX_OWNER_DIED in each word it still owns and wakes one waiter. The
 * next pthread_mutex_lock then returns EOWNERDEAD and *holds* the mutex: the caller repairs the data
 * and calls pthread_mutex_consistent; if it unlocks without that, the mutex becomes unusable for good
 * and every later lock returns ENOTRECOVERABLE (pthread_mutexattr_setrobust(3),
 * pthread_mutex_consistent(3), Documentation/locking/robust-futexes.rst).
 *
 * Contract:
 * - mutexBytes() is sizeof(pthread_mutex_t) (40 on x86_64 glibc); the mutex must sit at an 8-aligned
 *   offset inside the segment (ERR_UNALIGNED / ERR_OUT_OF_RANGE otherwise).
 * - mutexInit(handle, offset, robust): PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_ERRORCHECK (relocking
 *   gives EDEADLK, unlocking a mutex one does not hold EPERM), robust or PTHREAD_MUTEX_STALLED (a dead
 *   holder's waiters wait until their timeout: the POSIX default).
 * - mutexLock(handle, offset, timeoutMs): 'ok', 'owner-died' (EOWNERDEAD: held now, inconsistent),
 *   'timed-out'; timeoutMs 0 only tries ('busy' if held), negative or Infinity waits for ever. The
 *   timeout is on CLOCK_MONOTONIC (pthread_mutex_clocklock, glibc 2.30). Throws EDEADLK,
 *   ENOTRECOVERABLE, EINVAL with errno-style errors.
 * - Lock and unlock on the same thread: the robust list is per thread.
 * ------------------------------------------------------------------------------------------------- */

static pthread_mutex_t *get_mutex(napi_env env, napi_value handle, napi_value offset_value) {
  uint64_t offset;
  shm_entry *entry = get_segment(env, handle);
  if (!entry || !get_index(env, offset_value, "offset", &offset) ||
      !check_range(env, entry, offset, sizeof(pthread_mutex_t), 0))
    return NULL;
  if (offset % 8 != 0) {
    char message[512];
    snprintf(message, sizeof message,
             "offset %llu in shared-memory segment '%s' is not 8-byte aligned: a pthread mutex needs an "
             "8-aligned place. Fix: use offset %llu",
             (unsigned long long)offset, entry->name, (unsigned long long)((offset + 7) & ~7ULL));
    throw_coded(env, "RangeError", "ERR_UNALIGNED", message);
    return NULL;
  }
  return (pthread_mutex_t *)((char *)entry->address + offset);
}

/* mutexBytes(): sizeof(pthread_mutex_t). */
static napi_value MutexBytes(napi_env env, napi_callback_info info) {
  (void)info;
  return int32_result(env, (int32_t)sizeof(pthread_mutex_t));
}

/* mutexInit(handle, offset, robust): a fresh, unlocked, process-shared error-checking mutex. */
static napi_value MutexInit(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  bool robust = true;
  if (!get_args(env, info, 3, argv)) return NULL;
  pthread_mutex_t *mutex = get_mutex(env, argv[0], argv[1]);
  if (!mutex) return NULL;
  if (napi_get_value_bool(env, argv[2], &robust) != napi_ok) {
    throw_coded(env, "TypeError", "EARGS", "robust must be a boolean");
    return NULL;
  }
  pthread_mutexattr_t attr;
  int rc = pthread_mutexattr_init(&attr);
  if (rc == 0) rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  if (rc == 0) rc = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
  if (rc == 0) rc = pthread_mutexattr_setrobust(&attr, robust ? PTHREAD_MUTEX_ROBUST : PTHREAD_MUTEX_STALLED);
  if (rc == 0) rc = pthread_mutex_init(mutex, &attr);
  pthread_mutexattr_destroy(&attr);
  if (rc != 0) return throw_errno(env, "pthread_mutex_init", rc, NULL);
  return NULL;
}

/* mutexLock(handle, offset, timeoutMs): 'ok' | 'owner-died' | 'timed-out' | 'busy' (timeout 0 only). */
static napi_value MutexLock(napi_env env, napi_callback_info info) {
  napi_value argv[3], result;
  double timeout_ms;
  napi_valuetype type;
  if (!get_args(env, info, 3, argv)) return NULL;
  pthread_mutex_t *mutex = get_mutex(env, argv[0], argv[1]);
  if (!mutex) return NULL;
  napi_typeof(env, argv[2], &type);
  if (type != napi_number || napi_get_value_double(env, argv[2], &timeout_ms) != napi_ok || isnan(timeout_ms)) {
    throw_coded(env, "TypeError", "EARGS", "timeoutMs must be a number of milliseconds (Infinity: no limit)");
    return NULL;
  }
  int rc;
  const char *syscall_name = "pthread_mutex_clocklock";
  if (timeout_ms == 0) {
    syscall_name = "pthread_mutex_trylock";
    rc = pthread_mutex_trylock(mutex);
  } else if (timeout_ms < 0 || !isfinite(timeout_ms) || timeout_ms >= 1e15) {
    syscall_name = "pthread_mutex_lock";
    rc = pthread_mutex_lock(mutex);
  } else {
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    double seconds = floor(timeout_ms / 1000.0);
    deadline.tv_sec += (time_t)seconds;
    deadline.tv_nsec += (long)((timeout_ms - seconds * 1000.0) * 1e6);
    if (deadline.tv_nsec >= 1000000000L) {
      deadline.tv_sec += 1;
      deadline.tv_nsec -= 1000000000L;
    }
    rc = pthread_mutex_clocklock(mutex, CLOCK_MONOTONIC, &deadline);
  }
  const char *outcome;
  switch (rc) {
    case 0: outcome = "ok"; break;
    case EOWNERDEAD: outcome = "owner-died"; break;
    case ETIMEDOUT: outcome = "timed-out"; break;
    case EBUSY: outcome = "busy"; break;
    case EDEADLK:
      throw_errno_explained(env, syscall_name, rc, NULL,
                            "This thread already holds the mutex; locking it again would wait for ever. Fix: unlock it first (it is not recursive)");
      return NULL;
    case ENOTRECOVERABLE:
      throw_errno_explained(env, syscall_name, rc, NULL,
                            "A holder died with the mutex locked, and the process that got EOWNERDEAD unlocked it without calling "
                            "pthread_mutex_consistent: nobody may use it any more. Fix: start over with a fresh segment");
      return NULL;
    default: return throw_errno(env, syscall_name, rc, NULL);
  }
  CHECK_NAPI(env, napi_create_string_utf8(env, outcome, NAPI_AUTO_LENGTH, &result));
  return result;
}

/* mutexConsistent(handle, offset): after 'owner-died', says the data is repaired (pthread_mutex_consistent). */
static napi_value MutexConsistent(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  pthread_mutex_t *mutex = get_mutex(env, argv[0], argv[1]);
  if (!mutex) return NULL;
  int rc = pthread_mutex_consistent(mutex);
  if (rc != 0) return throw_errno(env, "pthread_mutex_consistent", rc, NULL);
  return NULL;
}

/* mutexUnlock(handle, offset). EPERM when this thread does not hold it. */
static napi_value MutexUnlock(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  pthread_mutex_t *mutex = get_mutex(env, argv[0], argv[1]);
  if (!mutex) return NULL;
  int rc = pthread_mutex_unlock(mutex);
  if (rc != 0) return throw_errno(env, "pthread_mutex_unlock", rc, NULL);
  return NULL;
}

#else /* not Linux: see the header of this section for how each function would be backed */

static napi_value ShmUnsupported(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value code, msg, error;
  napi_create_string_utf8(env, "ENOSYS", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, "Shared memory labs are not supported on " SHM_OS_NAME " yet", NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_set_named_property(env, error, "code", code);
  napi_throw(env, error);
  return NULL;
}
#define ShmCreate ShmUnsupported
#define ShmAttach ShmUnsupported
#define ShmSize ShmUnsupported
#define ShmDetach ShmUnsupported
#define ShmUnlink ShmUnsupported
#define ShmWrite ShmUnsupported
#define ShmRead ShmUnsupported
#define ShmReadInto ShmUnsupported
#define AtomicLoad ShmUnsupported
#define AtomicStore ShmUnsupported
#define AtomicAdd ShmUnsupported
#define AtomicCompareExchange ShmUnsupported
#define FutexWait ShmUnsupported
#define FutexWake ShmUnsupported
#define MutexBytes ShmUnsupported
#define MutexInit ShmUnsupported
#define MutexLock ShmUnsupported
#define MutexConsistent ShmUnsupported
#define MutexUnlock ShmUnsupported

#endif

/* ---------------------------------------------------------------------------------------------------
 * POSIX message queues (mq_open, mq_timedsend, mq_timedreceive, mq_getattr, mq_setattr, mq_close,
 * mq_unlink).
 *
 * Contract:
 * - A queue descriptor ("mqd") is a plain int. On Linux it is a file descriptor (mqd_t is an int):
 *   always close-on-exec, so a spawned program never inherits a queue it was not given by name.
 *   Close it with mqClose, never with fs.closeSync (other systems' mqd_t is not a descriptor).
 * - Names are those of POSIX shared memory: '/name', no other '/', 2 to 255 bytes.
 * - Timeouts are relative milliseconds; a negative number or Infinity blocks for ever; 0 only tries.
 *   They become an absolute CLOCK_REALTIME deadline (what mq_timedsend/mq_timedreceive take), computed
 *   once: a call interrupted by a signal (EINTR) is retried with the same deadline, i.e. with the time
 *   that remains.
 * - Messages are copied: send reads the caller's Uint8Array, receive writes into a JS-allocated
 *   Uint8Array the caller passes (never an external buffer: Electron's V8 memory cage forbids them).
 * - Errors a student will meet say which limit was hit and how to fix it: EINVAL on create names the
 *   /proc/sys/fs/mqueue file and its value, EMSGSIZE gives both sizes, EMFILE names RLIMIT_MSGQUEUE.
 *
 * Other systems (not implemented; every function throws ENOSYS there):
 * - macOS has no POSIX message queues at all (no mq_open in libSystem). A backing with the same
 *   behaviour could be System V queues (msgget/msgsnd/msgrcv, with IPC_NOWAIT for nonblocking and the
 *   mtype field carrying the priority; but no timed variants, and the kernel limits kern.sysv.msg* are
 *   tiny by default), or a Unix datagram socket bound to a path in a run directory (message boundaries
 *   kept, SO_SNDBUF bounds the queue; no priorities, and the receiver must be the one that bound it).
 * - Windows: no equivalent either; a named pipe in message mode (PIPE_TYPE_MESSAGE) is the closest.
 * ------------------------------------------------------------------------------------------------- */

#ifdef __linux__

#define MQ_LIMITS_DIR "/proc/sys/fs/mqueue/"

/* The integer in /proc/sys/fs/mqueue/<file>, or fallback if it cannot be read. */
static long mq_limit(const char *file, long fallback) {
  char path[128];
  snprintf(path, sizeof path, MQ_LIMITS_DIR "%s", file);
  FILE *f = fopen(path, "re");
  if (!f) return fallback;
  long value;
  if (fscanf(f, "%ld", &value) != 1) value = fallback;
  fclose(f);
  return value;
}

static void throw_mq(napi_env env, const char *syscall, int err, const char *name, const char *explanation) {
  throw_errno_explained(env, syscall, err, name, explanation);
}

static int get_mq_name(napi_env env, napi_value value, char *out) {
  return get_posix_name(env, value, "message-queue", out);
}

/* Reads an optional property of an options object: 0 = absent (or undefined), 1 = read, -1 = thrown. */
static int get_opt_bool(napi_env env, napi_value object, const char *key, bool *out) {
  bool has = false;
  napi_value value;
  napi_valuetype type;
  if (napi_has_named_property(env, object, key, &has) != napi_ok || !has) return 0;
  napi_get_named_property(env, object, key, &value);
  napi_typeof(env, value, &type);
  if (type == napi_undefined) return 0;
  if (type != napi_boolean) {
    char message[128];
    snprintf(message, sizeof message, "options.%s must be true or false", key);
    throw_coded(env, "TypeError", "EARGS", message);
    return -1;
  }
  napi_get_value_bool(env, value, out);
  return 1;
}

static int get_opt_positive(napi_env env, napi_value object, const char *key, long *out) {
  bool has = false;
  napi_value value;
  napi_valuetype type;
  double number;
  if (napi_has_named_property(env, object, key, &has) != napi_ok || !has) return 0;
  napi_get_named_property(env, object, key, &value);
  napi_typeof(env, value, &type);
  if (type == napi_undefined) return 0;
  if (type != napi_number || napi_get_value_double(env, value, &number) != napi_ok || !(number >= 1) ||
      number > 2147483647.0 || floor(number) != number) {
    char message[128];
    snprintf(message, sizeof message, "options.%s must be a positive integer", key);
    throw_coded(env, "TypeError", "EARGS", message);
    return -1;
  }
  *out = (long)number;
  return 1;
}

/* A relative timeout in ms (number; negative or Infinity: none) → 1 and an absolute CLOCK_REALTIME
 * deadline, 0 for "no deadline", -1 after throwing. */
static int get_deadline(napi_env env, napi_value value, struct timespec *deadline) {
  napi_valuetype type;
  double timeout_ms;
  napi_typeof(env, value, &type);
  if (type == napi_undefined) return 0;
  if (type != napi_number || napi_get_value_double(env, value, &timeout_ms) != napi_ok || isnan(timeout_ms)) {
    throw_coded(env, "TypeError", "EARGS", "timeoutMs must be a number of milliseconds (-1 or Infinity: no limit)");
    return -1;
  }
  if (timeout_ms < 0 || !isfinite(timeout_ms) || timeout_ms > 1e12) return 0;
  clock_gettime(CLOCK_REALTIME, deadline);
  double seconds = floor(timeout_ms / 1000.0);
  deadline->tv_sec += (time_t)seconds;
  deadline->tv_nsec += (long)((timeout_ms - seconds * 1000.0) * 1e6);
  while (deadline->tv_nsec >= 1000000000L) {
    deadline->tv_sec += 1;
    deadline->tv_nsec -= 1000000000L;
  }
  return 1;
}

static int get_mqd(napi_env env, napi_value value, mqd_t *out) {
  int32_t mqd;
  if (!get_int(env, value, "mqd", &mqd)) return 0;
  *out = (mqd_t)mqd;
  return 1;
}

/* mqOpen(name, { create, exclusive, nonblock, maxMessages, messageBytes, access }): a queue descriptor.
 * With create and neither size given, the kernel's defaults apply (msg_default, msgsize_default); with
 * only one given, the other is the kernel's default. Mode 0600: only this user's processes may open it. */
static napi_value MqOpen(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  char name[SHM_NAME_MAX + 1];
  napi_valuetype type;
  if (!get_args(env, info, 2, argv) || !get_mq_name(env, argv[0], name)) return NULL;
  napi_typeof(env, argv[1], &type);
  if (type != napi_object) {
    throw_coded(env, "TypeError", "EARGS", "mqOpen needs an options object, e.g. { create: false }");
    return NULL;
  }
  bool create = false, exclusive = false, nonblock = false;
  long max_messages = 0, message_bytes = 0;
  int has_max, has_bytes;
  if (get_opt_bool(env, argv[1], "create", &create) < 0 || get_opt_bool(env, argv[1], "exclusive", &exclusive) < 0 ||
      get_opt_bool(env, argv[1], "nonblock", &nonblock) < 0 ||
      (has_max = get_opt_positive(env, argv[1], "maxMessages", &max_messages)) < 0 ||
      (has_bytes = get_opt_positive(env, argv[1], "messageBytes", &message_bytes)) < 0)
    return NULL;

  int flags = O_RDWR;
  bool has_access = false;
  napi_has_named_property(env, argv[1], "access", &has_access);
  if (has_access) {
    napi_value access_value;
    char access[8] = "";
    size_t length = 0;
    napi_get_named_property(env, argv[1], "access", &access_value);
    napi_typeof(env, access_value, &type);
    if (type != napi_undefined) {
      if (type == napi_string) napi_get_value_string_utf8(env, access_value, access, sizeof access, &length);
      if (strcmp(access, "read") == 0)
        flags = O_RDONLY;
      else if (strcmp(access, "write") == 0)
        flags = O_WRONLY;
      else if (strcmp(access, "both") != 0) {
        throw_coded(env, "TypeError", "EARGS", "options.access must be 'read', 'write' or 'both'");
        return NULL;
      }
    }
  }
  if (!create && (exclusive || has_max || has_bytes)) {
    throw_coded(env, "TypeError", "EARGS",
                "exclusive, maxMessages and messageBytes only apply when creating a queue: pass create: true, "
                "or leave them out to open an existing queue at the size its creator gave it");
    return NULL;
  }
  if (create) flags |= O_CREAT;
  if (exclusive) flags |= O_EXCL;
  if (nonblock) flags |= O_NONBLOCK;
  flags |= O_CLOEXEC; /* the kernel makes mqueue descriptors close-on-exec anyway; say so */

  struct mq_attr attr, *attr_ptr = NULL;
  if (create && (has_max || has_bytes)) {
    memset(&attr, 0, sizeof attr);
    attr.mq_maxmsg = has_max ? max_messages : mq_limit("msg_default", 10);
    attr.mq_msgsize = has_bytes ? message_bytes : mq_limit("msgsize_default", 8192);
    attr_ptr = &attr;
  }
  mqd_t mqd = mq_open(name, flags, 0600, attr_ptr);
  if (mqd == (mqd_t)-1) {
    int err = errno;
    char explanation[768];
    if (err == EINVAL && attr_ptr) {
      long msg_max = mq_limit("msg_max", -1), msgsize_max = mq_limit("msgsize_max", -1);
      const char *privileged =
          geteuid() == 0 ? " (This process runs as root: with CAP_SYS_RESOURCE it may go past these files up "
                           "to the kernel's hard limits, 65536 messages of 16 MiB, and this request is past "
                           "those too, or the capability is missing.)"
                         : "";
      if (msg_max >= 0 && attr.mq_maxmsg > msg_max)
        snprintf(explanation, sizeof explanation,
                 "maxMessages %ld is more than the system limit: " MQ_LIMITS_DIR "msg_max is %ld.%s Fix: ask for "
                 "at most %ld messages, or raise the limit as root (sysctl fs.mqueue.msg_max=N; N <= 65536)",
                 (long)attr.mq_maxmsg, msg_max, privileged, msg_max);
      else if (msgsize_max >= 0 && attr.mq_msgsize > msgsize_max)
        snprintf(explanation, sizeof explanation,
                 "messageBytes %ld is more than the system limit: " MQ_LIMITS_DIR "msgsize_max is %ld.%s Fix: "
                 "use messages of at most %ld bytes, or raise the limit as root (sysctl fs.mqueue.msgsize_max=N; "
                 "N <= 16777216)",
                 (long)attr.mq_msgsize, msgsize_max, privileged, msgsize_max);
      else
        snprintf(explanation, sizeof explanation,
                 "The kernel refused maxMessages %ld x messageBytes %ld (limits: " MQ_LIMITS_DIR
                 "msg_max is %ld, msgsize_max is %ld)",
                 (long)attr.mq_maxmsg, (long)attr.mq_msgsize, msg_max, msgsize_max);
      throw_mq(env, "mq_open", err, name, explanation);
      return NULL;
    }
    if (err == EMFILE) {
      snprintf(explanation, sizeof explanation,
               "Either this process has too many descriptors open, or this user's queues would hold more "
               "than RLIMIT_MSGQUEUE bytes in all (ulimit -q; about maxMessages x (messageBytes + bookkeeping) "
               "per queue). Fix: close or unlink queues you no longer use, or make them smaller");
      throw_mq(env, "mq_open", err, name, explanation);
      return NULL;
    }
    if (err == ENOSPC) {
      snprintf(explanation, sizeof explanation,
               "The system already has " MQ_LIMITS_DIR "queues_max (%ld) queues. Fix: unlink queues left "
               "by earlier runs (ls /dev/mqueue if it is mounted)",
               mq_limit("queues_max", -1));
      throw_mq(env, "mq_open", err, name, explanation);
      return NULL;
    }
    if (err == ENOENT && !create) {
      throw_mq(env, "mq_open", err, name,
               "No queue has this name. Fix: create it first (create: true), or check the name");
      return NULL;
    }
    if (err == EEXIST) {
      throw_mq(env, "mq_open", err, name,
               "A queue with this name exists already (exclusive create). Fix: open it without exclusive, "
               "or unlink the one left by an earlier run");
      return NULL;
    }
    return throw_errno(env, "mq_open", err, name);
  }
  CHECK_NAPI(env, napi_create_int32(env, (int32_t)mqd, &result));
  return result;
}

/* The queue's message size, for error messages (-1 if mq_getattr fails too). */
static long mq_message_bytes(mqd_t mqd) {
  struct mq_attr attr;
  return mq_getattr(mqd, &attr) == 0 ? (long)attr.mq_msgsize : -1;
}

/* mqSend(mqd, data, priority = 0, timeoutMs = -1): 'ok' or 'timed-out'. */
static napi_value MqSend(napi_env env, napi_callback_info info) {
  napi_value argv[4], result;
  size_t argc = 4;
  mqd_t mqd;
  void *data;
  size_t length;
  int32_t priority = 0;
  struct timespec deadline;
  int timed = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    throw_coded(env, "TypeError", "EARGS", "mqSend(mqd, data, priority = 0, timeoutMs = -1)");
    return NULL;
  }
  if (!get_mqd(env, argv[0], &mqd) || !get_uint8_array(env, argv[1], "data", &data, &length)) return NULL;
  if (argc >= 3) {
    napi_valuetype type;
    napi_typeof(env, argv[2], &type);
    if (type != napi_undefined && !get_int(env, argv[2], "priority", &priority)) return NULL;
  }
  long prio_max = sysconf(_SC_MQ_PRIO_MAX);
  if (priority < 0 || (prio_max > 0 && priority >= prio_max)) {
    char message[160];
    snprintf(message, sizeof message, "priority must be an integer from 0 to %ld (higher is received first)",
             prio_max > 0 ? prio_max - 1 : 31L);
    throw_coded(env, "RangeError", "ERR_OUT_OF_RANGE", message);
    return NULL;
  }
  if (argc >= 4 && (timed = get_deadline(env, argv[3], &deadline)) < 0) return NULL;
  int rc;
  do {
    rc = timed ? mq_timedsend(mqd, data, length, (unsigned)priority, &deadline)
               : mq_send(mqd, data, length, (unsigned)priority);
  } while (rc != 0 && errno == EINTR); /* same absolute deadline: the retry waits only what remains */
  const char *outcome = "ok";
  if (rc != 0) {
    int err = errno;
    char explanation[512];
    if (err == ETIMEDOUT)
      outcome = "timed-out";
    else if (err == EMSGSIZE) {
      snprintf(explanation, sizeof explanation,
               "The message has %zu bytes but this queue's messages are at most %ld bytes (messageBytes, "
               "fixed when the queue was created). Fix: send smaller messages, or create the queue with a "
               "larger messageBytes",
               length, mq_message_bytes(mqd));
      throw_mq(env, "mq_send", err, NULL, explanation);
      return NULL;
    } else if (err == EAGAIN) {
      throw_mq(env, "mq_send", err, NULL,
               "The queue is full and was opened nonblocking: the message was not sent. Retry later, or "
               "block (mqSetNonblock(mqd, false))");
      return NULL;
    } else if (err == EBADF) {
      throw_mq(env, "mq_send", err, NULL,
               "This is not an open queue descriptor with write access (closed already? opened with "
               "access 'read'?)");
      return NULL;
    } else
      return throw_errno(env, "mq_send", err, NULL);
  }
  CHECK_NAPI(env, napi_create_string_utf8(env, outcome, NAPI_AUTO_LENGTH, &result));
  return result;
}

/* mqReceive(mqd, target, timeoutMs = -1): { bytes, priority } with the message at the start of target,
 * or null when the timeout passed first. */
static napi_value MqReceive(napi_env env, napi_callback_info info) {
  napi_value argv[3], result, bytes_value, priority_value;
  size_t argc = 3;
  mqd_t mqd;
  void *data;
  size_t length;
  struct timespec deadline;
  int timed = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    throw_coded(env, "TypeError", "EARGS", "mqReceive(mqd, target, timeoutMs = -1)");
    return NULL;
  }
  if (!get_mqd(env, argv[0], &mqd) || !get_uint8_array(env, argv[1], "target", &data, &length)) return NULL;
  if (argc >= 3 && (timed = get_deadline(env, argv[2], &deadline)) < 0) return NULL;
  unsigned priority = 0;
  ssize_t received;
  /* target is a JS-allocated array: the kernel copies the message straight into it. Nothing else runs
   * JavaScript while we block here, so the memory cannot move. */
  char dummy;
  void *into = length ? data : &dummy;
  do {
    received = timed ? mq_timedreceive(mqd, into, length, &priority, &deadline)
                     : mq_receive(mqd, into, length, &priority);
  } while (received < 0 && errno == EINTR);
  if (received < 0) {
    int err = errno;
    char explanation[512];
    if (err == ETIMEDOUT) {
      CHECK_NAPI(env, napi_get_null(env, &result));
      return result;
    }
    if (err == EMSGSIZE) {
      long message_bytes = mq_message_bytes(mqd);
      snprintf(explanation, sizeof explanation,
               "target holds %zu bytes but this queue's messages may be up to %ld bytes (messageBytes): "
               "mq_receive insists on room for the largest possible message. Fix: receive into "
               "new Uint8Array(%ld)",
               length, message_bytes, message_bytes);
      throw_mq(env, "mq_receive", err, NULL, explanation);
      return NULL;
    }
    if (err == EAGAIN) {
      throw_mq(env, "mq_receive", err, NULL,
               "The queue is empty and was opened nonblocking: there was nothing to receive. Retry later, "
               "or block (mqSetNonblock(mqd, false))");
      return NULL;
    }
    if (err == EBADF) {
      throw_mq(env, "mq_receive", err, NULL,
               "This is not an open queue descriptor with read access (closed already? opened with "
               "access 'write'?)");
      return NULL;
    }
    return throw_errno(env, "mq_receive", err, NULL);
  }
  CHECK_NAPI(env, napi_create_object(env, &result));
  CHECK_NAPI(env, napi_create_double(env, (double)received, &bytes_value));
  CHECK_NAPI(env, napi_create_uint32(env, priority, &priority_value));
  CHECK_NAPI(env, napi_set_named_property(env, result, "bytes", bytes_value));
  CHECK_NAPI(env, napi_set_named_property(env, result, "priority", priority_value));
  return result;
}

/* mqGetattr(mqd): { maxMessages, messageBytes, currentMessages, nonblock }. */
static napi_value MqGetattr(napi_env env, napi_callback_info info) {
  napi_value argv[1], result, value;
  mqd_t mqd;
  struct mq_attr attr;
  if (!get_args(env, info, 1, argv) || !get_mqd(env, argv[0], &mqd)) return NULL;
  if (mq_getattr(mqd, &attr) != 0) return throw_errno(env, "mq_getattr", errno, NULL);
  CHECK_NAPI(env, napi_create_object(env, &result));
  CHECK_NAPI(env, napi_create_double(env, (double)attr.mq_maxmsg, &value));
  CHECK_NAPI(env, napi_set_named_property(env, result, "maxMessages", value));
  CHECK_NAPI(env, napi_create_double(env, (double)attr.mq_msgsize, &value));
  CHECK_NAPI(env, napi_set_named_property(env, result, "messageBytes", value));
  CHECK_NAPI(env, napi_create_double(env, (double)attr.mq_curmsgs, &value));
  CHECK_NAPI(env, napi_set_named_property(env, result, "currentMessages", value));
  CHECK_NAPI(env, napi_get_boolean(env, (attr.mq_flags & O_NONBLOCK) != 0, &value));
  CHECK_NAPI(env, napi_set_named_property(env, result, "nonblock", value));
  return result;
}

/* mqSetNonblock(mqd, on): mq_setattr on O_NONBLOCK, the only flag it can change. It belongs to this
 * descriptor (open file description), not to the queue: other processes' descriptors keep theirs. */
static napi_value MqSetNonblock(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  mqd_t mqd;
  bool on;
  napi_valuetype type;
  if (!get_args(env, info, 2, argv) || !get_mqd(env, argv[0], &mqd)) return NULL;
  napi_typeof(env, argv[1], &type);
  if (type != napi_boolean) {
    throw_coded(env, "TypeError", "EARGS", "on must be true or false");
    return NULL;
  }
  napi_get_value_bool(env, argv[1], &on);
  struct mq_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.mq_flags = on ? O_NONBLOCK : 0;
  if (mq_setattr(mqd, &attr, NULL) != 0) return throw_errno(env, "mq_setattr", errno, NULL);
  return NULL;
}

/* mqClose(mqd): the descriptor goes; the queue and its messages stay until unlinked. */
static napi_value MqClose(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  mqd_t mqd;
  if (!get_args(env, info, 1, argv) || !get_mqd(env, argv[0], &mqd)) return NULL;
  if (mq_close(mqd) != 0) return throw_errno(env, "mq_close", errno, NULL);
  return NULL;
}

/* mqUnlink(name): removes the name; descriptors already open keep working until closed. */
static napi_value MqUnlink(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char name[SHM_NAME_MAX + 1];
  if (!get_args(env, info, 1, argv) || !get_mq_name(env, argv[0], name)) return NULL;
  if (mq_unlink(name) != 0) return throw_errno(env, "mq_unlink", errno, name);
  return NULL;
}

#else /* not Linux: see the header of this section */

static napi_value MqUnsupported(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value code, msg, error;
  napi_create_string_utf8(env, "ENOSYS", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env,
                          "POSIX message queues are not supported on " SHM_OS_NAME
                          " (macOS has none); the message-passing lab needs Linux",
                          NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_set_named_property(env, error, "code", code);
  napi_throw(env, error);
  return NULL;
}
#define MqOpen MqUnsupported
#define MqSend MqUnsupported
#define MqReceive MqUnsupported
#define MqGetattr MqUnsupported
#define MqSetNonblock MqUnsupported
#define MqClose MqUnsupported
#define MqUnlink MqUnsupported

#endif

/* ---------------------------------------------------------------------------------------------------
 * Measure loops (measure-loops.c): the N-API side. Each function checks its arguments, runs one loop
 * (one blocking call: no JavaScript runs until it returns) and returns
 *   { startNs: bigint, endNs: bigint, bytes: number, calls: number, roundTripNs?: { p50, p90, p99 } }
 * or throws like the rest of this addon (code = errno name, syscall = the call that failed).
 * ------------------------------------------------------------------------------------------------- */

static napi_value timing_result(napi_env env, const loop_timing *timing) {
  napi_value result, value;
  CHECK_NAPI(env, napi_create_object(env, &result));
  CHECK_NAPI(env, napi_create_bigint_uint64(env, timing->start_ns, &value));
  CHECK_NAPI(env, napi_set_named_property(env, result, "startNs", value));
  CHECK_NAPI(env, napi_create_bigint_uint64(env, timing->end_ns, &value));
  CHECK_NAPI(env, napi_set_named_property(env, result, "endNs", value));
  CHECK_NAPI(env, napi_create_double(env, (double)timing->bytes, &value));
  CHECK_NAPI(env, napi_set_named_property(env, result, "bytes", value));
  CHECK_NAPI(env, napi_create_double(env, (double)timing->calls, &value));
  CHECK_NAPI(env, napi_set_named_property(env, result, "calls", value));
  if (timing->has_round_trips) {
    napi_value percentiles;
    CHECK_NAPI(env, napi_create_object(env, &percentiles));
    CHECK_NAPI(env, napi_create_double(env, timing->p50_ns, &value));
    CHECK_NAPI(env, napi_set_named_property(env, percentiles, "p50", value));
    CHECK_NAPI(env, napi_create_double(env, timing->p90_ns, &value));
    CHECK_NAPI(env, napi_set_named_property(env, percentiles, "p90", value));
    CHECK_NAPI(env, napi_create_double(env, timing->p99_ns, &value));
    CHECK_NAPI(env, napi_set_named_property(env, percentiles, "p99", value));
    CHECK_NAPI(env, napi_set_named_property(env, result, "roundTripNs", percentiles));
  }
  return result;
}

static napi_value loop_outcome(napi_env env, int rc, const loop_timing *timing, const loop_error *error) {
  if (rc == 0) return timing_result(env, timing);
  throw_errno_explained(env, error->syscall, error->err, NULL, error->explanation[0] ? error->explanation : NULL);
  return NULL;
}

/* A byte count or a size: a positive integer (chunk and message sizes at most 64 MiB). */
static int get_loop_size(napi_env env, napi_value value, const char *name, uint64_t max, uint64_t *out) {
  napi_valuetype type;
  double number;
  napi_typeof(env, value, &type);
  int integer = type == napi_number && napi_get_value_double(env, value, &number) == napi_ok && floor(number) == number;
  if (!integer || number < 1 || number > (double)max) {
    char message[160];
    snprintf(message, sizeof message, "%s must be an integer from 1 to %llu", name, (unsigned long long)max);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message);
    return 0;
  }
  *out = (uint64_t)number;
  return 1;
}

#define LOOP_TOTAL_MAX (1ULL << 40)  /* 1 TiB */
#define LOOP_CHUNK_MAX (64ULL << 20) /* 64 MiB */
#define LOOP_TRIPS_MAX 10000000ULL

typedef int (*bulk_fd_loop)(int, uint64_t, size_t, loop_timing *, loop_error *);
typedef int (*trip_fd_loop)(int, int, uint32_t, size_t, loop_timing *, loop_error *);

/* (fd, totalBytes, chunkBytes) */
static napi_value run_bulk_fd(napi_env env, napi_callback_info info, bulk_fd_loop loop, const char *chunk_name) {
  napi_value argv[3];
  int32_t fd;
  uint64_t total, chunk;
  if (!get_args(env, info, 3, argv) || !get_int(env, argv[0], "fd", &fd) ||
      !get_loop_size(env, argv[1], "totalBytes", LOOP_TOTAL_MAX, &total) ||
      !get_loop_size(env, argv[2], chunk_name, LOOP_CHUNK_MAX, &chunk))
    return NULL;
  loop_timing timing;
  loop_error error;
  int rc = loop(fd, total, (size_t)chunk, &timing, &error);
  return loop_outcome(env, rc, &timing, &error);
}

/* (firstFd, secondFd, roundTrips, messageBytes) */
static napi_value run_trip_fd(napi_env env, napi_callback_info info, trip_fd_loop loop, const char *first, const char *second) {
  napi_value argv[4];
  int32_t a, b;
  uint64_t trips, bytes;
  if (!get_args(env, info, 4, argv) || !get_int(env, argv[0], first, &a) || !get_int(env, argv[1], second, &b) ||
      !get_loop_size(env, argv[2], "roundTrips", LOOP_TRIPS_MAX, &trips) ||
      !get_loop_size(env, argv[3], "messageBytes", LOOP_CHUNK_MAX, &bytes))
    return NULL;
  loop_timing timing;
  loop_error error;
  int rc = loop(a, b, (uint32_t)trips, (size_t)bytes, &timing, &error);
  return loop_outcome(env, rc, &timing, &error);
}

static napi_value WriteLoop(napi_env env, napi_callback_info info) { return run_bulk_fd(env, info, loop_write, "chunkBytes"); }
static napi_value ReadLoop(napi_env env, napi_callback_info info) { return run_bulk_fd(env, info, loop_read, "chunkBytes"); }
static napi_value PingLoop(napi_env env, napi_callback_info info) { return run_trip_fd(env, info, loop_ping, "writeFd", "readFd"); }
static napi_value PongLoop(napi_env env, napi_callback_info info) { return run_trip_fd(env, info, loop_pong, "readFd", "writeFd"); }

#ifdef __linux__
static napi_value MqSendLoop(napi_env env, napi_callback_info info) { return run_bulk_fd(env, info, loop_mq_send, "messageBytes"); }
static napi_value MqReceiveLoop(napi_env env, napi_callback_info info) { return run_bulk_fd(env, info, loop_mq_receive, "messageBytes"); }
static napi_value MqPingLoop(napi_env env, napi_callback_info info) { return run_trip_fd(env, info, loop_mq_ping, "sendMqd", "receiveMqd"); }
static napi_value MqPongLoop(napi_env env, napi_callback_info info) { return run_trip_fd(env, info, loop_mq_pong, "receiveMqd", "sendMqd"); }

/* (handle, offset) of a ring buffer in a mapped segment: its address and the bytes from there to the end. */
static int get_ring_view(napi_env env, napi_value handle, napi_value offset_value, ring_view *view) {
  uint64_t offset;
  shm_entry *entry = get_segment(env, handle);
  if (!entry || !get_index(env, offset_value, "offset", &offset) || !check_range(env, entry, offset, 0, 0)) return 0;
  if (offset % 8 != 0) {
    throw_coded(env, "RangeError", "ERR_UNALIGNED", "a ring buffer starts at an 8-aligned offset (its mutexes need it)");
    return 0;
  }
  view->base = (char *)entry->address + offset;
  view->available = entry->size - (size_t)offset;
  return 1;
}

typedef int (*bulk_ring_loop)(ring_view, uint64_t, size_t, loop_timing *, loop_error *);
typedef int (*trip_ring_loop)(ring_view, ring_view, uint32_t, size_t, loop_timing *, loop_error *);

/* (handle, offset, totalBytes, chunkBytes) */
static napi_value run_bulk_ring(napi_env env, napi_callback_info info, bulk_ring_loop loop) {
  napi_value argv[4];
  ring_view view;
  uint64_t total, chunk;
  if (!get_args(env, info, 4, argv) || !get_ring_view(env, argv[0], argv[1], &view) ||
      !get_loop_size(env, argv[2], "totalBytes", LOOP_TOTAL_MAX, &total) ||
      !get_loop_size(env, argv[3], "chunkBytes", LOOP_CHUNK_MAX, &chunk))
    return NULL;
  loop_timing timing;
  loop_error error;
  int rc = loop(view, total, (size_t)chunk, &timing, &error);
  return loop_outcome(env, rc, &timing, &error);
}

/* (firstHandle, firstOffset, secondHandle, secondOffset, roundTrips, messageBytes) */
static napi_value run_trip_ring(napi_env env, napi_callback_info info, trip_ring_loop loop) {
  napi_value argv[6];
  ring_view first, second;
  uint64_t trips, bytes;
  if (!get_args(env, info, 6, argv) || !get_ring_view(env, argv[0], argv[1], &first) ||
      !get_ring_view(env, argv[2], argv[3], &second) ||
      !get_loop_size(env, argv[4], "roundTrips", LOOP_TRIPS_MAX, &trips) ||
      !get_loop_size(env, argv[5], "messageBytes", LOOP_CHUNK_MAX, &bytes))
    return NULL;
  loop_timing timing;
  loop_error error;
  int rc = loop(first, second, (uint32_t)trips, (size_t)bytes, &timing, &error);
  return loop_outcome(env, rc, &timing, &error);
}

static napi_value RingProduceLoop(napi_env env, napi_callback_info info) { return run_bulk_ring(env, info, loop_ring_produce); }
static napi_value RingConsumeLoop(napi_env env, napi_callback_info info) { return run_bulk_ring(env, info, loop_ring_consume); }
static napi_value RingPingLoop(napi_env env, napi_callback_info info) { return run_trip_ring(env, info, loop_ring_ping); }
static napi_value RingPongLoop(napi_env env, napi_callback_info info) { return run_trip_ring(env, info, loop_ring_pong); }
#else
#define MqSendLoop MqUnsupported
#define MqReceiveLoop MqUnsupported
#define MqPingLoop MqUnsupported
#define MqPongLoop MqUnsupported
#define RingProduceLoop ShmUnsupported
#define RingConsumeLoop ShmUnsupported
#define RingPingLoop ShmUnsupported
#define RingPongLoop ShmUnsupported
#endif

/*
 * RLIMIT_MSGQUEUE (getrlimit/setrlimit; Node has neither). Each POSIX message queue reserves its
 * mq_maxmsg x mq_msgsize bytes, plus the kernel's bookkeeping per message, against its creator's user
 * when it is created, whether or not a message is ever sent; mq_open fails with EMFILE when the user's
 * total would pass the *calling process's* soft limit (mq_overview(7); ipc/mqueue.c, mqueue_get_inode:
 * mq_bytes). The total is per user, shared by every process of that uid; the limit is per process.
 * Limits are numbers of bytes; Infinity stands for RLIM_INFINITY.
 */
#include <sys/resource.h>

static int rlim_from_js(napi_env env, napi_value value, const char *name, rlim_t *out) {
  double number;
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type != napi_number || napi_get_value_double(env, value, &number) != napi_ok || isnan(number) || number < 0 ||
      (isfinite(number) && number != floor(number))) {
    char message[160];
    snprintf(message, sizeof message, "%s must be a whole number of bytes, 0 or more (or Infinity for no limit)", name);
    napi_throw_type_error(env, "EARGS", message);
    return 0;
  }
  *out = isinf(number) || number >= (double)RLIM_INFINITY ? RLIM_INFINITY : (rlim_t)number;
  return 1;
}

static napi_value rlim_to_js(napi_env env, rlim_t value) {
  napi_value result;
  napi_create_double(env, value == RLIM_INFINITY ? INFINITY : (double)value, &result);
  return result;
}

/* messageQueueLimit(): { soft, hard } of this process's RLIMIT_MSGQUEUE, in bytes. */
static napi_value MessageQueueLimit(napi_env env, napi_callback_info info) {
  (void)info;
#ifdef RLIMIT_MSGQUEUE
  struct rlimit limit;
  if (getrlimit(RLIMIT_MSGQUEUE, &limit) != 0) return throw_errno(env, "getrlimit(RLIMIT_MSGQUEUE)", errno, NULL);
  napi_value result;
  CHECK_NAPI(env, napi_create_object(env, &result));
  CHECK_NAPI(env, napi_set_named_property(env, result, "soft", rlim_to_js(env, limit.rlim_cur)));
  CHECK_NAPI(env, napi_set_named_property(env, result, "hard", rlim_to_js(env, limit.rlim_max)));
  return result;
#else
  return throw_errno(env, "getrlimit(RLIMIT_MSGQUEUE)", ENOSYS, NULL);
#endif
}

/* setMessageQueueLimit(soft[, hard]): setrlimit(RLIMIT_MSGQUEUE) for this process; the hard limit stays
 * as it is when left out. Raising the hard limit needs CAP_SYS_RESOURCE (EPERM); soft > hard is EINVAL. */
static napi_value SetMessageQueueLimit(napi_env env, napi_callback_info info) {
#ifdef RLIMIT_MSGQUEUE
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, "EARGS", "setMessageQueueLimit(soft[, hard]) needs the soft limit in bytes");
    return NULL;
  }
  struct rlimit limit;
  if (getrlimit(RLIMIT_MSGQUEUE, &limit) != 0) return throw_errno(env, "getrlimit(RLIMIT_MSGQUEUE)", errno, NULL);
  if (!rlim_from_js(env, argv[0], "soft", &limit.rlim_cur)) return NULL;
  if (argc >= 2 && !rlim_from_js(env, argv[1], "hard", &limit.rlim_max)) return NULL;
  if (setrlimit(RLIMIT_MSGQUEUE, &limit) != 0) {
    int err = errno;
    throw_errno_explained(env, "setrlimit(RLIMIT_MSGQUEUE)", err, NULL,
                          err == EINVAL ? "The soft limit may not be above the hard limit"
                          : err == EPERM ? "Only a process with CAP_SYS_RESOURCE may raise the hard limit"
                                         : NULL);
    return NULL;
  }
  return NULL;
#else
  (void)info;
  return throw_errno(env, "setrlimit(RLIMIT_MSGQUEUE)", ENOSYS, NULL);
#endif
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"pipe", NULL, Pipe, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mkfifo", NULL, Mkfifo, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pipeCapacity", NULL, PipeCapacity, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bytesInPipe", NULL, BytesInPipe, NULL, NULL, NULL, napi_enumerable, NULL},
      {"connectUnixSocket", NULL, ConnectUnixSocket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"peerCredentials", NULL, PeerCredentials, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setParentDeathSignal", NULL, SetParentDeathSignal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"markInheritedCloseOnExec", NULL, MarkInheritedCloseOnExec, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shmCreate", NULL, ShmCreate, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shmAttach", NULL, ShmAttach, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shmSize", NULL, ShmSize, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shmDetach", NULL, ShmDetach, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shmUnlink", NULL, ShmUnlink, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shmWrite", NULL, ShmWrite, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shmRead", NULL, ShmRead, NULL, NULL, NULL, napi_enumerable, NULL},
      {"shmReadInto", NULL, ShmReadInto, NULL, NULL, NULL, napi_enumerable, NULL},
      {"atomicLoad", NULL, AtomicLoad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"atomicStore", NULL, AtomicStore, NULL, NULL, NULL, napi_enumerable, NULL},
      {"atomicAdd", NULL, AtomicAdd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"atomicCompareExchange", NULL, AtomicCompareExchange, NULL, NULL, NULL, napi_enumerable, NULL},
      {"futexWait", NULL, FutexWait, NULL, NULL, NULL, napi_enumerable, NULL},
      {"futexWake", NULL, FutexWake, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mutexBytes", NULL, MutexBytes, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mutexInit", NULL, MutexInit, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mutexLock", NULL, MutexLock, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mutexConsistent", NULL, MutexConsistent, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mutexUnlock", NULL, MutexUnlock, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mqOpen", NULL, MqOpen, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mqSend", NULL, MqSend, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mqReceive", NULL, MqReceive, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mqGetattr", NULL, MqGetattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mqSetNonblock", NULL, MqSetNonblock, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mqClose", NULL, MqClose, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mqUnlink", NULL, MqUnlink, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writeLoop", NULL, WriteLoop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readLoop", NULL, ReadLoop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pingLoop", NULL, PingLoop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pongLoop", NULL, PongLoop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mqSendLoop", NULL, MqSendLoop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mqReceiveLoop", NULL, MqReceiveLoop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mqPingLoop", NULL, MqPingLoop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mqPongLoop", NULL, MqPongLoop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ringProduceLoop", NULL, RingProduceLoop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ringConsumeLoop", NULL, RingConsumeLoop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ringPingLoop", NULL, RingPingLoop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ringPongLoop", NULL, RingPongLoop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"messageQueueLimit", NULL, MessageQueueLimit, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMessageQueueLimit", NULL, SetMessageQueueLimit, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
