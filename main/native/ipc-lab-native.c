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
 * Why native: pipe(2) and mkfifo(3) have no Node API, a lab that promises a pipe must create a pipe
 * (Node's spawn "pipe" is a socketpair), and a lab process must die with its parent even when it is
 * blocked in a system call (prctl PR_SET_PDEATHSIG).
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
#include <unistd.h>
#include <dirent.h>
#include <stdlib.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <node_api.h>

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
    default: return "EUNKNOWN";
  }
}

/* Throws an Error shaped like Node's fs errors: message "syscall: strerror (CODE)", .code, .errno, .syscall. */
static napi_value throw_errno(napi_env env, const char *syscall, int err, const char *path) {
  char message[512];
  if (path)
    snprintf(message, sizeof message, "%s '%s': %s (%s)", syscall, path, strerror(err), errno_name(err));
  else
    snprintf(message, sizeof message, "%s: %s (%s)", syscall, strerror(err), errno_name(err));
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

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"pipe", NULL, Pipe, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mkfifo", NULL, Mkfifo, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pipeCapacity", NULL, PipeCapacity, NULL, NULL, NULL, napi_enumerable, NULL},
      {"connectUnixSocket", NULL, ConnectUnixSocket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setParentDeathSignal", NULL, SetParentDeathSignal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"markInheritedCloseOnExec", NULL, MarkInheritedCloseOnExec, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
