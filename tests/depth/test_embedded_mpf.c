/* Embedded depth in JPEG Multi-Picture Format (CIPA DC-007), as iPhones
 * write portraits: the real iPhone XS portrait of ../shared/phone (MIT, see
 * tests/FIXTURES.md) read, its MP images equal to exiftool's extraction
 * byte for byte, its disparity and matte read as those images decode; and
 * files built to the specification for what the phone's file lacks (little-
 * endian MP header, apdi depth in metres, broken indices). `--write-seeds
 * DIR` writes the built files as seeds for fuzz/fuzz_mpf. */
#include <string.h>
#include <sys/stat.h>

#include "core/resample.h"
#include "depth/embedded_internal.h"
#include "dm_test.h"
#include "embed_build.h"
#include "io/io.h"

#define PHONE DM_SOURCE_DIR "/../shared/phone/jpeg_depth_data.jpg"

/* All of a stream into b. */
static void drain(FILE *f, eb_buf *b) {
  memset(b, 0, sizeof *b);
  unsigned char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) eb_put(b, buf, n);
}

static int read_all(const char *path, eb_buf *b) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  drain(f, b);
  fclose(f);
  return b->n > 0;
}

/* exiftool -b -MPImageN of the file: the bytes exiftool finds for image n. */
static int exiftool_image(const char *path, int n, eb_buf *out) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "exiftool -b -MPImage%d '%s'", n, path);
  FILE *p = popen(cmd, "r");
  if (!p) return 0;
  drain(p, out);
  return pclose(p) == 0 && out->n > 0;
}

/* The grey plane a JPEG decodes to, in [0, 1]. */
static dm_image grey(dm_context *ctx, const eb_buf *jpeg) {
  dm_decoded d;
  dm_image g = {0};
  CHECK_OK(ctx, dm_io_read_mem(ctx, jpeg->p, jpeg->n, "extracted", &d));
  CHECK(d.img.channels == 1);
  g = d.img;
  dm_metadata_free(&d.meta);
  return g;
}

/* The largest |a - b| (b flipped: 1 - b); *mean, when given, the mean. */
static double max_diff_mean(const dm_image *a, const dm_image *b, int flip, double *mean) {
  double m = 0, sum = 0;
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++) {
      double v = dm_row(b, y)[x];
      double d = fabs(dm_row(a, y)[x] - (flip ? 1.0 - v : v));
      sum += d;
      if (!(d <= m)) m = d;
    }
  if (mean) *mean = sum / ((double)a->width * a->height);
  return m;
}
static double max_diff(const dm_image *a, const dm_image *b, int flip) {
  return max_diff_mean(a, b, flip, NULL);
}

static void test_phone(dm_context *ctx) {
  eb_buf file, x2, x3;
  if (!read_all(PHONE, &file)) {
    fprintf(stderr, "%s: missing\n", PHONE);
    dm_test_failures++;
    return;
  }
  /* The MP images where the index says, as exiftool reads them. */
  dm_jpeg_info j;
  CHECK_OK(ctx, dm_jpeg_info_read(ctx, file.p, file.n, "phone", &j));
  CHECK(j.mpf != NULL);
  dm_mpf_entry e[DM_MPF_MAX_IMAGES];
  char problem[160] = "";
  int n = j.mpf ? dm_mpf_index(j.mpf, j.mpf_len, e, DM_MPF_MAX_IMAGES, problem, sizeof problem) : -1;
  CHECK(n == 3);
  CHECK(exiftool_image(PHONE, 2, &x2) && exiftool_image(PHONE, 3, &x3));
  if (n == 3 && x2.n && x3.n) {
    size_t base = (size_t)(j.mpf - file.p);
    CHECK(e[1].size == x2.n && !memcmp(file.p + base + e[1].offset, x2.p, x2.n));
    CHECK(e[2].size == x3.n && !memcmp(file.p + base + e[2].offset, x3.p, x3.n));
    CHECK(e[0].offset == 0 && e[0].attribute == 0x030000);
  }
  dm_jpeg_info_free(&j);

  /* Listed: the disparity (480x640, 1/FloatMax .. 1/FloatMin metres) and the
   * portrait effects matte (1158x1544). */
  dm_embedded_list l;
  CHECK_OK(ctx, dm_embedded_scan(ctx, file.p, file.n, "phone", &l));
  CHECK(l.n == 2);
  if (l.n == 2) {
    const dm_embedded_item *d = &l.items[0], *m = &l.items[1];
    CHECK(d->kind == DM_EMB_DEPTH && d->container == DM_EMB_MPF && d->usable);
    CHECK(d->width == 480 && d->height == 640 && !strcmp(d->encoding, "apdi disparity"));
    CHECK(fabs(d->near_m - 1 / 2.808594) < 1e-4 && fabs(d->far_m - 1 / 0.554199) < 1e-4);
    CHECK(m->kind == DM_EMB_MATTE_PORTRAIT && m->usable && m->width == 1158 && m->height == 1544);
    printf("phone: %s %dx%d %s %.3f-%.3f m; %s %dx%d\n", d->type, d->width, d->height, d->encoding,
           d->near_m, d->far_m, m->type, m->width, m->height);
  }

  /* Read at their own size: near01 = 1 - the disparity image; the matte as it
   * decodes. */
  dm_depth dep;
  dm_image mat;
  int found = 0;
  char desc[256];
  CHECK_OK(ctx, dm_embedded_depth(ctx, file.p, file.n, "phone", 1, 480, 640, &dep, &found, desc, sizeof desc));
  CHECK(found);
  if (found && x2.n) {
    dm_image g = grey(ctx, &x2);
    double md = max_diff(&dep.near01, &g, 1);
    printf("phone depth against exiftool's MPImage2: max |near01 - (1 - v)| = %.2g\n", md);
    CHECK(md < 1e-6);
    dm_image_free(&g);
    dm_depth_free(&dep);
  }
  CHECK_OK(ctx, dm_embedded_matte(ctx, file.p, file.n, "phone", 1, 1158, 1544, &mat, &found, desc, sizeof desc));
  CHECK(found);
  if (found && x3.n) {
    dm_image g = grey(ctx, &x3);
    double md = max_diff(&mat, &g, 0);
    printf("phone matte against exiftool's MPImage3: max difference %.2g\n", md);
    CHECK(md < 1e-6);
    dm_image_free(&g);
    dm_image_free(&mat);
  }
  free(file.p), free(x2.p), free(x3.p);
}

/* ---- files built to the specification --------------------------------- */

static void put16(eb_buf *b, int big, uint32_t v) {
  unsigned char x[2] = {(unsigned char)(big ? v >> 8 : v), (unsigned char)(big ? v : v >> 8)};
  eb_put(b, x, 2);
}
static void put32(eb_buf *b, int big, uint32_t v) {
  unsigned char x[4];
  for (int i = 0; i < 4; i++) x[i] = (unsigned char)(v >> (big ? 24 - 8 * i : 8 * i));
  eb_put(b, x, 4);
}

typedef struct mp_build {
  int big;           /* MM */
  int bad_version;   /* MPFVersion "0200" */
  uint32_t count;    /* NumberOfImages as written (0: the true count) */
  uint32_t size_add; /* added to the last image's size (past the file) */
} mp_build;

/* The MP header (TIFF header, MP Index IFD, entries) for images of the
 * given sizes at the given offsets from it. */
static void mp_header(const mp_build *o, int n, const uint32_t *size, const uint32_t *off, eb_buf *h) {
  memset(h, 0, sizeof *h);
  eb_puts(h, o->big ? "MM" : "II");
  put16(h, o->big, 42);
  put32(h, o->big, 8);
  put16(h, o->big, 3);
  uint32_t entries_at = 8 + 2 + 3 * 12 + 4;
  put16(h, o->big, 0xB000), put16(h, o->big, 7), put32(h, o->big, 4);
  eb_puts(h, o->bad_version ? "0200" : "0100");
  put16(h, o->big, 0xB001), put16(h, o->big, 4), put32(h, o->big, 1), put32(h, o->big, o->count ? o->count : (uint32_t)n);
  put16(h, o->big, 0xB002), put16(h, o->big, 7), put32(h, o->big, 16 * (uint32_t)n), put32(h, o->big, entries_at);
  put32(h, o->big, 0); /* no next IFD */
  for (int i = 0; i < n; i++) {
    put32(h, o->big, i ? 0 : 0x030000);
    put32(h, o->big, size[i] + (i == n - 1 ? o->size_add : 0));
    put32(h, o->big, off[i]);
    put16(h, o->big, 0), put16(h, o->big, 0);
  }
}

/* A grey JPEG of `plane` with an apdi XMP packet (attributes `apdi`). */
static void aux_jpeg(dm_context *ctx, const dm_image *plane, const char *apdi, eb_buf *out) {
  eb_buf j, seg = {0};
  CHECK(eb_jpeg(ctx, plane, 95, &j));
  char xmp[1024];
  snprintf(xmp, sizeof xmp, EB_XMP_HEAD "<rdf:Description rdf:about=\"\" xmlns:apdi=\"http://ns.apple.com/pixeldatainfo/1.0/\" %s/>" EB_XMP_TAIL, apdi);
  eb_app1(&seg, "http://ns.adobe.com/xap/1.0/", xmp, strlen(xmp));
  eb_insert_after_soi(&j, &seg, out);
  free(j.p), free(seg.p);
}

/* photo + APP2 MPF after SOI + the aux images appended. */
static void mpf_file(const eb_buf *photo, const eb_buf *aux, int n_aux, const mp_build *o, eb_buf *out) {
  /* The header's size does not depend on the values: build it twice. */
  uint32_t size[8], off[8];
  eb_buf h;
  memset(size, 0, sizeof size), memset(off, 0, sizeof off);
  mp_header(o, n_aux + 1, size, off, &h);
  size_t seg = 2 + 4 + h.n; /* length field + "MPF\0" + header */
  size[0] = (uint32_t)(photo->n + 2 + seg);
  size_t mp_at = 2 + 2 + 2 + 4; /* SOI, APP2 marker, length, "MPF\0" */
  size_t at = size[0];
  for (int i = 0; i < n_aux; i++) {
    size[i + 1] = (uint32_t)aux[i].n;
    off[i + 1] = (uint32_t)(at - mp_at);
    at += aux[i].n;
  }
  free(h.p);
  mp_header(o, n_aux + 1, size, off, &h);
  eb_buf segs = {0};
  unsigned char m[4] = {0xFF, 0xE2, (unsigned char)(seg >> 8), (unsigned char)seg};
  eb_put(&segs, m, 4);
  eb_put(&segs, "MPF", 4);
  eb_put(&segs, h.p, h.n);
  eb_insert_after_soi(photo, &segs, out);
  for (int i = 0; i < n_aux; i++) eb_put(out, aux[i].p, aux[i].n);
  free(h.p), free(segs.p);
}

typedef struct built {
  eb_buf le_depth, be_disparity, past_end, bad_version, huge_count;
} built;

static void build_all(dm_context *ctx, built *b, dm_image *want, double *zn, double *zf) {
  dm_image photo, lin;
  CHECK(eb_small_scene(ctx, "dev2_chelsea_2.5m_fg1m_bg12m", 96, 64, &photo, &lin, zn, zf));
  eb_buf pj, aux[2];
  CHECK(eb_jpeg(ctx, &photo, 90, &pj));
  /* apdi depth in metres: stored v = (z - near) / (far - near) */
  char attrs[256];
  snprintf(attrs, sizeof attrs, "apdi:AuxiliaryImageType=\"depth\" apdi:FloatMinValue=\"%.6f\" apdi:FloatMaxValue=\"%.6f\"", *zn, *zf);
  aux_jpeg(ctx, &lin, attrs, &aux[0]);
  dm_image matte;
  CHECK_OK(ctx, dm_image_alloc(ctx, &matte, 48, 32, 1));
  for (int y = 0; y < 32; y++)
    for (int x = 0; x < 48; x++) dm_row(&matte, y)[x] = x < 24 ? 1.0f : 0.0f;
  aux_jpeg(ctx, &matte, "apdi:AuxiliaryImageType=\"urn:com:apple:photo:2018:aux:portraiteffectsmatte\"", &aux[1]);
  mpf_file(&pj, aux, 2, &(mp_build){0}, &b->le_depth);
  /* disparity, big-endian: stored v = disparity, near01 = 1 - v */
  CHECK(eb_near01(ctx, &lin, *zn, *zf, want));
  dm_image disp;
  CHECK_OK(ctx, dm_image_alloc(ctx, &disp, want->width, want->height, 1));
  for (int y = 0; y < disp.height; y++)
    for (int x = 0; x < disp.width; x++) dm_row(&disp, y)[x] = 1.0f - dm_row(want, y)[x];
  eb_buf da;
  aux_jpeg(ctx, &disp, "apdi:AuxiliaryImageType=\"disparity\"", &da);
  mpf_file(&pj, &da, 1, &(mp_build){.big = 1}, &b->be_disparity);
  mpf_file(&pj, &da, 1, &(mp_build){.size_add = 100}, &b->past_end);
  mpf_file(&pj, &da, 1, &(mp_build){.big = 1, .bad_version = 1}, &b->bad_version);
  mpf_file(&pj, &da, 1, &(mp_build){.count = 0x7fffffff}, &b->huge_count);
  free(pj.p), free(aux[0].p), free(aux[1].p), free(da.p);
  dm_image_free(&photo), dm_image_free(&lin), dm_image_free(&matte), dm_image_free(&disp);
}

static void test_built(dm_context *ctx) {
  built b;
  dm_image want;
  double zn, zf;
  build_all(ctx, &b, &want, &zn, &zf);
  dm_embedded_list l;
  /* little-endian, apdi depth in metres, and a matte by its URN */
  CHECK_OK(ctx, dm_embedded_scan(ctx, b.le_depth.p, b.le_depth.n, "le", &l));
  CHECK(l.n == 2 && l.items[0].kind == DM_EMB_DEPTH && l.items[1].kind == DM_EMB_MATTE_PORTRAIT);
  CHECK(l.n >= 1 && fabs(l.items[0].near_m - zn) < 1e-3 && fabs(l.items[0].far_m - zf) < 1e-3);
  dm_depth d;
  int found = 0;
  char desc[256];
  CHECK_OK(ctx, dm_embedded_depth(ctx, b.le_depth.p, b.le_depth.n, "le", 1, 96, 64, &d, &found, desc, sizeof desc));
  CHECK(found);
  if (found) {
    double mean, md = max_diff_mean(&d.near01, &want, 0, &mean);
    printf("built, little-endian, apdi depth %.2f-%.2f m: |near01 - truth| max %.3f, mean %.4f\n",
           zn, zf, md, mean);
    /* 8-bit steps of linear depth are 0.05 of near01 at the near end */
    CHECK(md < 0.08 && mean < 0.01);
    dm_depth_free(&d);
  }
  dm_image m;
  CHECK_OK(ctx, dm_embedded_matte(ctx, b.le_depth.p, b.le_depth.n, "le", 1, 48, 32, &m, &found, desc, sizeof desc));
  CHECK(found && dm_row(&m, 16)[4] > 0.95f && dm_row(&m, 16)[44] < 0.05f);
  if (found) dm_image_free(&m);
  /* big-endian disparity */
  CHECK_OK(ctx, dm_embedded_depth(ctx, b.be_disparity.p, b.be_disparity.n, "be", 1, 96, 64, &d, &found, desc, sizeof desc));
  CHECK(found);
  if (found) {
    double md = max_diff(&d.near01, &want, 0);
    printf("built, big-endian, disparity: max |near01 - truth| = %.3f\n", md);
    CHECK(md < 0.03);
    dm_depth_free(&d);
  }
  /* broken indices: nothing listed, nothing read, no failure */
  const eb_buf *bad[] = {&b.past_end, &b.bad_version, &b.huge_count};
  for (int i = 0; i < 3; i++) {
    CHECK_OK(ctx, dm_embedded_scan(ctx, bad[i]->p, bad[i]->n, "bad", &l));
    CHECK(l.n == 0);
    CHECK_OK(ctx, dm_embedded_depth(ctx, bad[i]->p, bad[i]->n, "bad", 1, 96, 64, &d, &found, desc, sizeof desc));
    CHECK(!found);
  }
  /* every truncation of a good file: no failure, no read outside it */
  for (size_t cut = 0; cut < b.be_disparity.n; cut += 97) {
    unsigned char *c = malloc(cut ? cut : 1);
    memcpy(c, b.be_disparity.p, cut);
    CHECK_OK(ctx, dm_embedded_scan(ctx, c, cut, "cut", &l));
    free(c);
  }
  free(b.le_depth.p), free(b.be_disparity.p), free(b.past_end.p), free(b.bad_version.p), free(b.huge_count.p);
  dm_image_free(&want);
}

static int write_seeds(dm_context *ctx, const char *dir) {
  built b;
  dm_image want;
  double zn, zf;
  build_all(ctx, &b, &want, &zn, &zf);
  mkdir(dir, 0755);
  eb_save(dir, "le_depth.jpg", &b.le_depth);
  eb_save(dir, "be_disparity.jpg", &b.be_disparity);
  eb_save(dir, "past_end.jpg", &b.past_end);
  eb_save(dir, "bad_version.jpg", &b.bad_version);
  eb_save(dir, "huge_count.jpg", &b.huge_count);
  dm_image_free(&want);
  return dm_test_failures != 0;
}

int main(int argc, char **argv) {
  dm_context *ctx = dm_context_new(2);
  if (argc == 3 && !strcmp(argv[1], "--write-seeds")) {
    int r = write_seeds(ctx, argv[2]);
    dm_context_free(ctx);
    return r;
  }
  test_phone(ctx);
  test_built(ctx);
  dm_context_free(ctx);
  return dm_test_done("depth/embedded_mpf");
}
