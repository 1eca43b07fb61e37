/* Atomic writes leave either the old file or the new one, never a mix or a
 * stray temporary; reads refuse directories, missing files and oversize. */
#include <dirent.h>
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

  CHECK(dm_same_file(path, path));
  CHECK(!dm_same_file(path, photo));
  dm_context_free(ctx);
  return dm_test_done("core/file");
}
