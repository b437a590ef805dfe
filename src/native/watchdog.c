/*
 * The single-input `kyso verify` watchdog as a native thread (issue 16; the guarantee is issue 10's).
 *
 * What it does: once armed, a detached POSIX thread wakes every `pollMs`, and when the file is over its time
 * budget or the process's resident memory is over its cap, it writes the report the command rendered
 * beforehand to fd 1 and ends the process with the documented exit code (_exit: every thread stops at once,
 * whatever the JavaScript thread is doing). disarm() tells it the main thread owns the output; it then returns
 * at its next wake-up (or dies with the process first).
 *
 * Why native and by hand: the portable watchdog is a worker thread (src/services/verify-watchdog.ts), which on
 * Node 20 is a whole Node environment bootstrapped without a snapshot: ~70 ms of CPU and ~15 ms of the wall
 * time of every `kyso verify one.pdf` on a 2-CPU machine, a tenth of the run. A POSIX thread costs
 * microseconds. Nothing maintained does this: the native watchdogs on npm watch the event loop or a parent
 * process and exit with a fixed code of their own, without writing a report.
 *
 * Built by scripts/build-native.mjs where a C compiler is found (Linux); elsewhere, or when loading fails,
 * verify-watchdog.ts uses the worker thread, so this file is an optimisation, never a requirement.
 *
 * Node-API is a stable C ABI (nodejs.org/api/n-api.html): the few declarations used are written out below
 * instead of including node_api.h, so the build needs a C compiler and no Node headers. The symbols are the
 * running node executable's own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* --- the Node-API declarations used (js_native_api.h, Node-API version 1) --- */
typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status; /* napi_ok = 0 */
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);
#define NAPI_AUTO_LENGTH SIZE_MAX
extern napi_status napi_get_cb_info(napi_env env, napi_callback_info cbinfo, size_t *argc, napi_value *argv, napi_value *this_arg, void **data);
extern napi_status napi_get_value_double(napi_env env, napi_value value, double *result);
extern napi_status napi_get_value_string_utf8(napi_env env, napi_value value, char *buf, size_t bufsize, size_t *result);
extern napi_status napi_get_boolean(napi_env env, int value, napi_value *result);
extern napi_status napi_create_function(napi_env env, const char *utf8name, size_t length, napi_callback cb, void *data, napi_value *result);
extern napi_status napi_set_named_property(napi_env env, napi_value object, const char *utf8name, napi_value value);
extern napi_status napi_throw_error(napi_env env, const char *code, const char *msg);

enum { LIVE = 0, DISARMED = 1, FIRED = 2 };

/* One watchdog per process (one input per process), set once by arm() before the thread starts. */
static atomic_int state = LIVE;
static atomic_int armed = 0;
static int64_t deadline_ms;   /* CLOCK_MONOTONIC */
static int64_t rss_limit_kib; /* resident memory cap */
static int poll_ms;
static int exit_code;
static char *out_timeout;
static size_t out_timeout_len;
static char *out_memory;
static size_t out_memory_len;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Resident memory of the process in KiB (the second field of /proc/self/statm, in pages), or -1. */
static int64_t rss_kib(void) {
  char buf[128];
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *p = strchr(buf, ' ');
  if (!p) return -1;
  return strtoll(p + 1, NULL, 10) * (sysconf(_SC_PAGESIZE) / 1024);
}

static void write_all(const char *s, size_t len) {
  while (len > 0) {
    ssize_t n = write(1, s, len);
    if (n > 0) {
      s += n;
      len -= (size_t)n;
    } else if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      if (errno == EAGAIN) usleep(1000); /* a non-blocking pipe that is full: wait for the reader */
    } else {
      return; /* closed or broken stdout: nothing more can be said */
    }
  }
}

static void fire(const char *out, size_t len) {
  int expected = LIVE;
  if (!atomic_compare_exchange_strong(&state, &expected, FIRED)) return; /* disarmed: the main thread reports */
  write_all(out, len);
  _exit(exit_code);
}

static void *watch(void *unused) {
  (void)unused;
  struct timespec pause = {poll_ms / 1000, (long)(poll_ms % 1000) * 1000000L};
  for (;;) {
    nanosleep(&pause, NULL);
    if (atomic_load(&state) != LIVE) return NULL;
    if (now_ms() >= deadline_ms) fire(out_timeout, out_timeout_len);
    else {
      int64_t rss = rss_kib();
      if (rss > rss_limit_kib) fire(out_memory, out_memory_len);
    }
  }
}

static char *copy_string(napi_env env, napi_value v, size_t *len) {
  if (napi_get_value_string_utf8(env, v, NULL, 0, len) != 0) return NULL;
  char *s = malloc(*len + 1);
  if (!s) return NULL;
  size_t got;
  if (napi_get_value_string_utf8(env, v, s, *len + 1, &got) != 0) {
    free(s);
    return NULL;
  }
  *len = got;
  return s;
}

/*
 * arm(budgetMs, rssLimitKiB, pollMs, exitCode, timeoutOutput, memoryOutput): the file's verification begins now;
 * the thread fires `budgetMs` from now, or when resident memory exceeds rssLimitKiB. Once per process.
 */
static napi_value arm(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  double budget, limit, poll, code;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 6 || napi_get_value_double(env, argv[0], &budget) != 0 ||
      napi_get_value_double(env, argv[1], &limit) != 0 || napi_get_value_double(env, argv[2], &poll) != 0 ||
      napi_get_value_double(env, argv[3], &code) != 0 || !(budget >= 0) || !(limit > 0) || !(poll >= 1 && poll <= 1000) ||
      !(code >= 0 && code <= 255)) {
    napi_throw_error(env, NULL, "watchdog.arm: (budgetMs, rssLimitKiB, pollMs, exitCode, timeoutOutput, memoryOutput)");
    return NULL;
  }
  if (atomic_exchange(&armed, 1)) {
    napi_throw_error(env, NULL, "watchdog.arm: armed already");
    return NULL;
  }
  out_timeout = copy_string(env, argv[4], &out_timeout_len);
  out_memory = copy_string(env, argv[5], &out_memory_len);
  if (!out_timeout || !out_memory) {
    napi_throw_error(env, NULL, "watchdog.arm: the reports must be strings");
    return NULL;
  }
  deadline_ms = now_ms() + (int64_t)budget;
  rss_limit_kib = (int64_t)limit;
  poll_ms = (int)poll;
  exit_code = (int)code;
  pthread_attr_t attr;
  pthread_t thread;
  int ok = pthread_attr_init(&attr) == 0 && pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
           pthread_attr_setstacksize(&attr, 64 * 1024) == 0 && pthread_create(&thread, &attr, watch, NULL) == 0;
  pthread_attr_destroy(&attr);
  if (!ok) {
    napi_throw_error(env, NULL, "watchdog.arm: cannot start a thread");
    return NULL;
  }
  return NULL;
}

/* disarm(): true when this call took the output from the thread (it had not fired); false after it fired. */
static napi_value disarm(napi_env env, napi_callback_info info) {
  (void)info;
  int expected = LIVE;
  int owned = atomic_compare_exchange_strong(&state, &expected, DISARMED);
  napi_value result;
  napi_get_boolean(env, owned, &result);
  return result;
}

napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  napi_value f;
  if (napi_create_function(env, "arm", NAPI_AUTO_LENGTH, arm, NULL, &f) != 0 || napi_set_named_property(env, exports, "arm", f) != 0) return NULL;
  if (napi_create_function(env, "disarm", NAPI_AUTO_LENGTH, disarm, NULL, &f) != 0 || napi_set_named_property(env, exports, "disarm", f) != 0) return NULL;
  return exports;
}
