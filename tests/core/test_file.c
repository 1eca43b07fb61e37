/* Atomic writes leave either the old file or the new one, never a mix or a
 * stray temporary; reads refuse directories, missing files and oversize. */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include "core/file.h"
#include "core/hash.h"
#include "dm_test.h"

static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  if (d) closedir(d);
  return n;
}

/* A registered temporary file is removed when SIGTERM kills the process,
 * which still dies by that signal; an unregistered one stays. */
static void test_signal_cleanup(const char *dir) {
  char reg[4200], kept[4200];
  snprintf(reg, sizeof reg, "%s/.victim.tif.AAAAAA", dir);
  snprintf(kept, sizeof kept, "%s/kept.txt", dir);
  pid_t pid = fork();
  if (pid == 0) {
    dm_temp_install_handlers();
    FILE *f = fopen(reg, "w"), *g = fopen(kept, "w");
    if (!f || !g) _exit(3);
    fclose(f), fclose(g);
    dm_temp_register(reg);
    raise(SIGTERM);
    _exit(4); /* not reached */
  }
  int st = 0;
  CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
  CHECK(access(reg, F_OK) != 0);
  CHECK(access(kept, F_OK) == 0);
  unlink(kept);
}

/* A FIFO is refused before anything reads it (it used to block). */
static void test_fifo(dm_context *ctx, const char *dir) {
  char fifo[4200];
  snprintf(fifo, sizeof fifo, "%s/planted.jpg", dir);
  unlink(fifo);
  CHECK(mkfifo(fifo, 0644) == 0);
  unsigned char *data;
  size_t len;
  CHECK(dm_read_file(ctx, fifo, 1 << 20, &data, &len) == DM_ERR_IO);
  CHECK(strstr(dm_context_error(ctx), "not a regular file") != NULL);
  dm_hash h;
  CHECK(dm_hash_file(ctx, fifo, &h) == DM_ERR_IO);
  CHECK(dm_check_input(ctx, fifo) == DM_ERR_IO);
  CHECK(dm_lock(ctx, fifo) < 0);
  unlink(fifo);
}

/* The write error is named: a file-size limit (as a full disk) is "File
 * too large", not "Write error". */
static void test_write_error(dm_context *ctx, const char *dir) {
  char path[4200];
  snprintf(path, sizeof path, "%s/big.bin", dir);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {4096, 4096};
    setrlimit(RLIMIT_FSIZE, &rl);
    static char buf[1 << 16];
    dm_status s = dm_write_file_atomic(ctx, path, buf, sizeof buf);
    _exit(s == DM_ERR_IO && strstr(dm_context_error(ctx), "File too large") ? 0 : 1);
  }
  int st = 0;
  CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  CHECK(access(path, F_OK) != 0);
}

int main(void) {
  dm_context *ctx = dm_context_new(1);
  const char *dir = dm_test_tmpdir("core_file");
  char path[4200];
  snprintf(path, sizeof path, "%s/out.bin", dir);

  CHECK_OK(ctx, dm_write_file_atomic(ctx, path, "first", 5));
  unsigned char *data;
  size_t len;
  CHECK_OK(ctx, dm_read_file(ctx, path, 1 << 20, &data, &len));
  CHECK(len == 5 && memcmp(data, "first", 5) == 0 && data[5] == 0);
  free(data);

  /* An aborted write keeps the old content and removes its temporary. */
  dm_atomic_file af;
  CHECK_OK(ctx, dm_atomic_open(ctx, &af, path));
  fputs("partial", af.fp);
  dm_atomic_abort(&af);
  CHECK_OK(ctx, dm_read_file(ctx, path, 1 << 20, &data, &len));
  CHECK(len == 5 && memcmp(data, "first", 5) == 0);
  free(data);
  CHECK(count_entries(dir) == 1);

  /* Writing into a missing folder fails and names the file. */
  char bad[4300];
  snprintf(bad, sizeof bad, "%s/no-such-dir/out.bin", dir);
  CHECK(dm_write_file_atomic(ctx, bad, "x", 1) == DM_ERR_IO);
  CHECK(strstr(dm_context_error(ctx), "no-such-dir/out.bin") != NULL);

  /* Reads: directory, missing file, size cap. */
  CHECK(dm_read_file(ctx, dir, 1 << 20, &data, &len) == DM_ERR_IO);
  CHECK(strstr(dm_context_error(ctx), "is a directory") != NULL);
  CHECK(dm_read_file(ctx, bad, 1 << 20, &data, &len) == DM_ERR_IO);
  CHECK(strstr(dm_context_error(ctx), "no such file") != NULL);
  CHECK(dm_read_file(ctx, path, 3, &data, &len) == DM_ERR_FORMAT);

  /* A real photo: the file hash equals the hash of its bytes. */
  const char *photo = dm_test_photo("coffee");
  dm_hash hf, hb;
  CHECK_OK(ctx, dm_hash_file(ctx, photo, &hf));
  CHECK_OK(ctx, dm_read_file(ctx, photo, 1 << 26, &data, &len));
  hb = dm_hash_bytes(data, len);
  CHECK(hf.lo == hb.lo && hf.hi == hb.hi);
  data[len / 2] ^= 1; /* one bit changes the hash */
  dm_hash hc = dm_hash_bytes(data, len);
  CHECK(hc.lo != hb.lo || hc.hi != hb.hi);
  free(data);
  char hex[33];
  dm_hash_hex(hf, hex);
  CHECK(strlen(hex) == 32);

  test_signal_cleanup(dir);
  test_fifo(ctx, dir);
  test_write_error(ctx, dir);
  CHECK(count_entries(dir) == 1);

  CHECK(dm_same_file(path, path));
  CHECK(!dm_same_file(path, photo));
  dm_context_free(ctx);
  return dm_test_done("core/file");
}
