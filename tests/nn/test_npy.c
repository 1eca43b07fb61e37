/* .npy: our writer and reader round-trip every dtype and shape; files that
 * Debian's numpy writes (format 1.0, 2.0 and 3.0) read back with the right
 * values, numpy reads ours; malformed headers are refused with a message
 * naming the file and the problem. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "dm_test.h"
#include "nn/nn_internal.h"
#include "nn/npy.h"

static const dm_nn_dtype all_types[] = {DM_NN_FLOAT, DM_NN_DOUBLE, DM_NN_FLOAT16, DM_NN_INT64,
                                        DM_NN_INT32, DM_NN_INT8,   DM_NN_UINT8,   DM_NN_BOOL};

/* Element i of the test pattern, as the python script below computes it. */
static void pattern(dm_nn_dtype t, void *data, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    switch (t) {
    case DM_NN_FLOAT: ((float *)data)[i] = (float)((double)i * 0.37 - 3.0); break;
    case DM_NN_DOUBLE: ((double *)data)[i] = (double)i / 3.0; break;
    case DM_NN_FLOAT16: ((uint16_t *)data)[i] = nn_float_to_half((float)i * 0.5f); break;
    case DM_NN_INT64: ((int64_t *)data)[i] = i * INT64_C(10000000000) - 7; break;
    case DM_NN_INT32: ((int32_t *)data)[i] = (int32_t)(i * -7 + 3); break;
    case DM_NN_INT8: ((int8_t *)data)[i] = (int8_t)(i * 37 % 256 - 128); break;
    case DM_NN_UINT8: ((uint8_t *)data)[i] = (uint8_t)(i * 37 % 256); break;
    case DM_NN_BOOL: ((uint8_t *)data)[i] = i % 3 == 0; break;
    default: break;
    }
  }
}

static dm_nn_tensor make(dm_nn_dtype t, int ndim, const int64_t *dims) {
  dm_nn_tensor x = {.dtype = t, .ndim = ndim};
  for (int i = 0; i < ndim; i++) x.dims[i] = dims[i];
  int64_t n = dm_nn_numel(&x);
  x.data = calloc((size_t)n + 1, dm_nn_dtype_size(t));
  pattern(t, x.data, n);
  return x;
}

static int same(const dm_nn_tensor *a, const dm_nn_tensor *b) {
  if (a->dtype != b->dtype || a->ndim != b->ndim) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i]) return 0;
  size_t bytes = (size_t)dm_nn_numel(a) * dm_nn_dtype_size(a->dtype);
  return bytes == 0 || memcmp(a->data, b->data, bytes) == 0;
}

static void test_round_trip(dm_context *ctx, const char *dir) {
  static const int64_t shapes[][DM_NN_MAX_DIMS] = {{0}, {5}, {2, 3, 4}, {0, 3}, {1, 1, 1, 1, 1, 1, 1, 2}};
  static const int ranks[] = {0, 1, 3, 2, 8};
  char path[4200];
  snprintf(path, sizeof path, "%s/rt.npy", dir);
  for (size_t ti = 0; ti < sizeof all_types / sizeof all_types[0]; ti++)
    for (size_t si = 0; si < sizeof ranks / sizeof ranks[0]; si++) {
      dm_nn_tensor a = make(all_types[ti], ranks[si], shapes[si]), b, c;
      CHECK_OK(ctx, dm_npy_write(ctx, path, &a));
      CHECK_OK(ctx, dm_npy_read(ctx, path, &b));
      CHECK(same(&a, &b));
      /* The in-memory encoder gives the same bytes as the file writer. */
      unsigned char *enc, *file;
      size_t enc_len, file_len;
      CHECK_OK(ctx, dm_npy_encode(ctx, &a, &enc, &enc_len));
      CHECK_OK(ctx, dm_read_file(ctx, path, 1 << 20, &file, &file_len));
      CHECK(enc && file && enc_len == file_len && memcmp(enc, file, enc_len) == 0);
      CHECK(enc_len % 64 == (size_t)dm_nn_numel(&a) * dm_nn_dtype_size(a.dtype) % 64);
      CHECK_OK(ctx, dm_npy_parse(ctx, "mem.npy", enc, enc_len, &c));
      CHECK(same(&a, &c));
      free(enc);
      free(file);
      free(a.data);
      free(b.data);
      free(c.data);
    }
  /* Unwritable dtypes and shapes are refused and leave nothing behind. */
  dm_nn_tensor bad = {.dtype = DM_NN_UNDEFINED, .ndim = 1, .dims = {1}, .data = "x"};
  snprintf(path, sizeof path, "%s/bad.npy", dir);
  CHECK(dm_npy_write(ctx, path, &bad) != DM_OK);
  bad.dtype = DM_NN_FLOAT;
  bad.dims[0] = -1;
  CHECK(dm_npy_write(ctx, path, &bad) != DM_OK);
  FILE *f = fopen(path, "rb");
  CHECK(f == NULL);
  if (f) fclose(f);
}

static const char numpy_script[] =
    "import sys, numpy as np\n"
    "from numpy.lib import format as fmt\n"
    "d, mode = sys.argv[1], sys.argv[2]\n"
    "def pat(t, n):\n"
    "    i = np.arange(n)\n"
    "    if t == '<f4': return (i * 0.37 - 3).astype('<f4')\n"
    "    if t == '<f8': return (i / 3.0).astype('<f8')\n"
    "    if t == '<f2': return (i * 0.5).astype('<f2')\n"
    "    if t == '<i8': return (i.astype('<i8') * 10000000000 - 7)\n"
    "    if t == '<i4': return (i * -7 + 3).astype('<i4')\n"
    "    if t == '|i1': return (i * 37 % 256 - 128).astype('|i1')\n"
    "    if t == '|u1': return (i * 37 % 256).astype('|u1')\n"
    "    if t == '|b1': return (i % 3 == 0)\n"
    "types = ['<f4', '<f8', '<f2', '<i8', '<i4', '|i1', '|u1', '|b1']\n"
    "if mode == 'write':\n"
    "    for k, t in enumerate(types):\n"
    "        np.save(f'{d}/np_{k}.npy', pat(t, 24).reshape(2, 3, 4))\n"
    "        for v in ((2, 0), (3, 0)):\n"
    "            with open(f'{d}/np_{k}_v{v[0]}.npy', 'wb') as f:\n"
    "                fmt.write_array(f, pat(t, 7), version=v)\n"
    "    np.save(f'{d}/scalar.npy', np.float32(2.5))\n"
    "    np.save(f'{d}/empty.npy', np.zeros((0, 3), '<i8'))\n"
    "    np.save(f'{d}/fortran.npy', np.asfortranarray(pat('<f4', 6).reshape(2, 3)))\n"
    "    np.save(f'{d}/big_endian.npy', pat('<f4', 4).astype('>f4'))\n"
    "    np.save(f'{d}/int16.npy', np.arange(4, dtype='<i2'))\n"
    "else:\n"
    "    for k, t in enumerate(types):\n"
    "        a = np.load(f'{d}/c_{k}.npy')\n"
    "        assert a.dtype == np.dtype(t) and a.shape == (2, 3, 4), (t, a.dtype, a.shape)\n"
    "        assert (a == pat(t, 24).reshape(2, 3, 4)).all(), t\n"
    "    s = np.load(f'{d}/c_scalar.npy')\n"
    "    assert s.shape == () and s.dtype == np.float32 and s == np.float32(2.5)\n";

static int run_numpy(const char *dir, const char *mode) {
  char script[4200], cmd[9000];
  snprintf(script, sizeof script, "%s/npy_check.py", dir);
  FILE *f = fopen(script, "w");
  if (!f) return -1;
  fputs(numpy_script, f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' %s", script, dir, mode);
  return system(cmd);
}

static void expect_refused(dm_context *ctx, const char *path, const char *needle) {
  dm_nn_tensor t;
  dm_status s = dm_npy_read(ctx, path, &t);
  CHECK(s == DM_ERR_FORMAT);
  CHECK(t.data == NULL);
  if (s != DM_OK && (!strstr(dm_context_error(ctx), path) || !strstr(dm_context_error(ctx), needle))) {
    fprintf(stderr, "%s: error '%s' lacks '%s'\n", path, dm_context_error(ctx), needle);
    dm_test_failures++;
  }
  if (s == DM_OK) free(t.data);
}

static void test_numpy(dm_context *ctx, const char *dir) {
  CHECK(run_numpy(dir, "write") == 0);
  char path[4200];
  static const int64_t dims[3] = {2, 3, 4}, dims7[1] = {7};
  for (size_t k = 0; k < sizeof all_types / sizeof all_types[0]; k++) {
    dm_nn_tensor want = make(all_types[k], 3, dims), want7 = make(all_types[k], 1, dims7), got;
    snprintf(path, sizeof path, "%s/np_%zu.npy", dir, k);
    CHECK_OK(ctx, dm_npy_read(ctx, path, &got));
    CHECK(same(&want, &got));
    free(got.data);
    for (int v = 2; v <= 3; v++) {
      snprintf(path, sizeof path, "%s/np_%zu_v%d.npy", dir, k, v);
      CHECK_OK(ctx, dm_npy_read(ctx, path, &got));
      CHECK(same(&want7, &got));
      free(got.data);
    }
    /* And numpy reads what we write. */
    snprintf(path, sizeof path, "%s/c_%zu.npy", dir, k);
    CHECK_OK(ctx, dm_npy_write(ctx, path, &want));
    free(want.data);
    free(want7.data);
  }
  dm_nn_tensor got;
  snprintf(path, sizeof path, "%s/scalar.npy", dir);
  CHECK_OK(ctx, dm_npy_read(ctx, path, &got));
  CHECK(got.dtype == DM_NN_FLOAT && got.ndim == 0 && got.data && *(float *)got.data == 2.5f);
  snprintf(path, sizeof path, "%s/c_scalar.npy", dir);
  CHECK_OK(ctx, dm_npy_write(ctx, path, &got));
  free(got.data);
  snprintf(path, sizeof path, "%s/empty.npy", dir);
  CHECK_OK(ctx, dm_npy_read(ctx, path, &got));
  CHECK(got.dtype == DM_NN_INT64 && got.ndim == 2 && got.dims[0] == 0 && got.dims[1] == 3);
  free(got.data);
  CHECK(run_numpy(dir, "check") == 0);

  snprintf(path, sizeof path, "%s/fortran.npy", dir);
  expect_refused(ctx, path, "fortran_order True");
  snprintf(path, sizeof path, "%s/big_endian.npy", dir);
  expect_refused(ctx, path, "unsupported dtype '>f4'");
  snprintf(path, sizeof path, "%s/int16.npy", dir);
  expect_refused(ctx, path, "unsupported dtype '<i2'");
}

/* A v1.0 file with header text `dict` (padded as numpy does) and `data_len`
 * zero bytes of data. */
static void write_npy(const char *path, const char *dict, size_t data_len) {
  size_t n = strlen(dict), total = (10 + n + 1 + 63) / 64 * 64, hlen = total - 10;
  unsigned char *b = calloc(total + data_len + 1, 1);
  memcpy(b, "\x93NUMPY\x01\x00", 8);
  b[8] = (unsigned char)(hlen & 0xff);
  b[9] = (unsigned char)(hlen >> 8);
  memcpy(b + 10, dict, n);
  memset(b + 10 + n, ' ', hlen - n - 1);
  b[total - 1] = '\n';
  FILE *f = fopen(path, "wb");
  if (f) {
    fwrite(b, 1, total + data_len, f);
    fclose(f);
  }
  free(b);
}

static void write_raw(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (f) {
    fwrite(data, 1, len, f);
    fclose(f);
  }
}

static void test_malformed(dm_context *ctx, const char *dir) {
  static const struct {
    const char *dict;
    size_t data_len;
    const char *needle;
  } cases[] = {
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 11, "data is 11 bytes, the shape needs 12"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 13, "data is 13 bytes"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3), }", 12, "1-tuple needs a comma"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }", 12, "malformed shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,,), }", 12, "malformed shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1 2,), }", 8, "malformed shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': 3, }", 12, "not a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", 4, "more than 8"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 4, "too large"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 4, "too many elements"},
      {"{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }", 12, "fortran_order True"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (3,), }", 12, "not True or False"},
      {"{'descr': '<f4', 'fortran_order': Falsey, 'shape': (3,), }", 12, "not True or False"},
      {"{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", 24, "unsupported dtype '<c8'"},
      {"{'descr': 7, 'fortran_order': False, 'shape': (3,), }", 12, "descr is not a string"},
      {"{'descr': '<f4', 'shape': (3,), }", 12, "lacks 'fortran_order'"},
      {"{'fortran_order': False, 'shape': (3,), }", 12, "lacks 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False}", 12, "lacks 'shape'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", 12, "duplicate key 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'extra': 1}", 12, "unknown key 'extra'"},
      {"{'descr': '<f4' 'fortran_order': False, 'shape': (3,)}", 12, "malformed header dict"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} x", 12, "text after"},
      {"['descr', '<f4']", 12, "not a dict"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,)", 12, "malformed header dict"},
      {"{'de\\x73cr': '<f4', 'fortran_order': False, 'shape': (3,)}", 12, "malformed header dict"},
      {"{'descr': '|b1', 'fortran_order': False, 'shape': (3,)}", 0, "data is 0 bytes"},
  };
  char path[4200];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    snprintf(path, sizeof path, "%s/bad%zu.npy", dir, i);
    write_npy(path, cases[i].dict, cases[i].data_len);
    expect_refused(ctx, path, cases[i].needle);
  }

  /* Broken prefixes, lengths and bytes. */
  snprintf(path, sizeof path, "%s/raw.npy", dir);
  write_raw(path, "\x93NUMPZ\x01\x00\x10\x00", 10);
  expect_refused(ctx, path, "not a .npy file");
  write_raw(path, "\x93NUMPY\x01", 7);
  expect_refused(ctx, path, "not a .npy file");
  write_raw(path, "", 0);
  expect_refused(ctx, path, "not a .npy file");
  write_raw(path, "\x93NUMPY\x04\x00\x10\x00\x00\x00", 12);
  expect_refused(ctx, path, "unsupported .npy version 4.0");
  write_raw(path, "\x93NUMPY\x01\x01\x10\x00", 10);
  expect_refused(ctx, path, "unsupported .npy version 1.1");
  write_raw(path, "\x93NUMPY\x02\x00\x10\x00", 10);
  expect_refused(ctx, path, "truncated");
  write_raw(path, "\x93NUMPY\x01\x00\xff\xff{}\n", 13);
  expect_refused(ctx, path, "runs past the end");
  write_raw(path, "\x93NUMPY\x03\x00\xff\xff\xff\xff{}\n", 15);
  expect_refused(ctx, path, "runs past the end");
  write_raw(path, "\x93NUMPY\x01\x00\x00\x00", 10);
  expect_refused(ctx, path, "newline");
  write_raw(path, "\x93NUMPY\x01\x00\x03\x00{} ", 13);
  expect_refused(ctx, path, "newline");
  write_raw(path, "\x93NUMPY\x01\x00\x04\x00{\xc3}\n", 14);
  expect_refused(ctx, path, "non-ASCII");
  write_raw(path, "\x93NUMPY\x01\x00\x04\x00{\0}\n", 14);
  expect_refused(ctx, path, "non-ASCII");

  /* Bool elements other than 0 and 1 are not bools. */
  write_npy(path, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", 0);
  FILE *f = fopen(path, "ab");
  if (f) {
    fputc(1, f);
    fputc(2, f);
    fclose(f);
  }
  expect_refused(ctx, path, "bool element 1");

  /* Accepted variations: double quotes, no trailing comma, spaces. */
  write_npy(path, "{ \"shape\" : ( 2 , 1 ) , \"fortran_order\":False,\"descr\":\"<i4\" }", 8);
  dm_nn_tensor t;
  CHECK_OK(ctx, dm_npy_read(ctx, path, &t));
  CHECK(t.dtype == DM_NN_INT32 && t.ndim == 2 && t.dims[0] == 2 && t.dims[1] == 1);
  free(t.data);

  /* Missing files and folders fail as I/O errors. */
  snprintf(path, sizeof path, "%s/missing.npy", dir);
  CHECK(dm_npy_read(ctx, path, &t) == DM_ERR_IO);
  CHECK(dm_npy_read(ctx, dir, &t) == DM_ERR_IO);
}

int main(void) {
  dm_context *ctx = dm_context_new(1);
  const char *dir = dm_test_tmpdir("nn_npy");
  test_round_trip(ctx, dir);
  test_numpy(ctx, dir);
  test_malformed(ctx, dir);
  dm_context_free(ctx);
  return dm_test_done("nn/test_npy");
}
