/* Previews encoded in strips on every thread and joined (dm_graph_jpeg,
 * dm_jpeg_join): the joined file decodes to exactly the pixels of one
 * encoder run, at 4:2:0 and 4:4:4, at heights that are and are not whole
 * MCU rows, with the ICC profile kept; strips that cannot be joined are
 * refused with a message, never joined wrong.
 *
 * Photo: coffee from python3-skimage (skimage.data, CC0, see
 * tests/FIXTURES.md). */
#include <stdio.h>
/* jpeglib.h needs stdio.h first. */
#include <jpeglib.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "io_test_util.h"
#include "pipeline/graph.h"

/* Decoded 8-bit RGB of a JPEG in memory; its height, restart interval and
 * whether it carries an ICC profile. */
static unsigned char *decode(const unsigned char *jpg, size_t len, int *w, int *h, int *restart,
                             int *has_icc) {
  struct jpeg_decompress_struct c;
  struct jpeg_error_mgr e;
  c.err = jpeg_std_error(&e);
  jpeg_create_decompress(&c);
  jpeg_mem_src(&c, jpg, (unsigned long)len);
  jpeg_save_markers(&c, JPEG_APP0 + 2, 0xFFFF);
  CHECK(jpeg_read_header(&c, TRUE) == JPEG_HEADER_OK);
  JOCTET *icc = NULL;
  unsigned icc_len = 0;
  *has_icc = jpeg_read_icc_profile(&c, &icc, &icc_len) && icc_len > 128;
  free(icc);
  jpeg_start_decompress(&c);
  *w = (int)c.output_width, *h = (int)c.output_height, *restart = (int)c.restart_interval;
  unsigned char *px = malloc((size_t)*w * *h * 3);
  while (c.output_scanline < c.output_height) {
    JSAMPROW row = px + (size_t)c.output_scanline * *w * 3;
    jpeg_read_scanlines(&c, &row, 1);
  }
  CHECK(e.num_warnings == 0); /* a corrupt join shows as a warning (bad restart, short data) */
  jpeg_finish_decompress(&c);
  jpeg_destroy_decompress(&c);
  return px;
}

static void same_pixels(dm_context *one, dm_context *many, const dm_image *img, int quality) {
  unsigned char *a = NULL, *b = NULL;
  size_t la = 0, lb = 0;
  CHECK_OK(one, dm_graph_jpeg(one, img, quality, &a, &la));
  CHECK_OK(many, dm_graph_jpeg(many, img, quality, &b, &lb));
  int wa, ha, ra, ia, wb, hb, rb, ib;
  unsigned char *pa = decode(a, la, &wa, &ha, &ra, &ia), *pb = decode(b, lb, &wb, &hb, &rb, &ib);
  CHECK(wa == img->width && ha == img->height && wb == wa && hb == ha);
  CHECK(ia && ib);
  CHECK(ra == 0); /* one thread: one run, no restarts */
  int tall = img->height >= 4 * dm_jpeg_mcu_rows(quality) * 4;
  CHECK(tall ? rb > 0 : rb == 0); /* many threads: strips joined where tall enough */
  CHECK(memcmp(pa, pb, (size_t)wa * ha * 3) == 0);
  printf("q%d %dx%d: one run %zu bytes, joined strips %zu bytes (restart every %d MCUs)\n", quality,
         img->width, img->height, la, lb, rb);
  free(pa), free(pb), free(a), free(b);
}

/* Two strips of the same photo, encoded as dm_graph_jpeg encodes them. */
static void strip_jpeg(dm_context *ctx, const dm_image *img, int y0, int y1, int restart,
                       unsigned char **out, size_t *len) {
  dm_image part = dm_image_view(img, 0, y0, img->width, y1 - y0);
  dm_write_options wo = {.format = DM_FMT_JPEG, .bits = 8, .quality = 85, .preview = 1,
                         .restart_rows = restart};
  char *buf = NULL;
  FILE *fp = open_memstream(&buf, len);
  CHECK_OK(ctx, dm_jpeg_write(ctx, fp, &part, &wo, "strip"));
  fclose(fp);
  *out = (unsigned char *)buf;
}

static void refusals(dm_context *ctx, const dm_image *img) {
  unsigned char *p[2], *out = NULL;
  size_t l[2], ol = 0;
  /* without restart markers the strips' DC predictions run on: refused */
  strip_jpeg(ctx, img, 0, 64, 0, &p[0], &l[0]);
  strip_jpeg(ctx, img, 64, 128, 0, &p[1], &l[1]);
  CHECK(dm_jpeg_join(ctx, p, l, 2, 128, &out, &ol) == DM_ERR_FORMAT && !out);
  printf("no restarts: %s\n", dm_context_error(ctx));
  free(p[0]), free(p[1]);
  /* with them, joined; then cut short, or another width: refused */
  strip_jpeg(ctx, img, 0, 64, 1, &p[0], &l[0]);
  strip_jpeg(ctx, img, 64, 128, 1, &p[1], &l[1]);
  CHECK_OK(ctx, dm_jpeg_join(ctx, p, l, 2, 128, &out, &ol));
  int w, h, r, icc;
  free(decode(out, ol, &w, &h, &r, &icc));
  CHECK(w == img->width && h == 128 && r > 0);
  free(out), out = NULL;
  size_t cut = l[1] / 2;
  CHECK(dm_jpeg_join(ctx, p, (size_t[]){l[0], cut}, 2, 128, &out, &ol) == DM_ERR_FORMAT && !out);
  printf("cut short: %s\n", dm_context_error(ctx));
  dm_image narrow = dm_image_view(img, 0, 64, img->width - 16, 64);
  dm_write_options wo = {.format = DM_FMT_JPEG, .bits = 8, .quality = 85, .preview = 1, .restart_rows = 1};
  char *buf = NULL;
  size_t nl = 0;
  FILE *fp = open_memstream(&buf, &nl);
  CHECK_OK(ctx, dm_jpeg_write(ctx, fp, &narrow, &wo, "strip"));
  fclose(fp);
  unsigned char *q[2] = {p[0], (unsigned char *)buf};
  CHECK(dm_jpeg_join(ctx, q, (size_t[]){l[0], nl}, 2, 128, &out, &ol) == DM_ERR_FORMAT && !out);
  printf("another width: %s\n", dm_context_error(ctx));
  CHECK(dm_jpeg_join(ctx, p, l, 2, 70000, &out, &ol) == DM_ERR_PARAM && !out);
  free(buf), free(p[0]), free(p[1]);
}

/* fuzz_jpeg_join's seeds: strips of a crop of the photo, two and three
 * of them, in the target's input layout. */
static int write_seeds(dm_context *ctx, const dm_image *img, const char *dir) {
  const int cuts[][4] = {{0, 32, 48, 0}, {0, 16, 32, 40}};
  for (int s = 0; s < 2; s++) {
    int n = cuts[s][3] ? 3 : 2, h = cuts[s][n];
    unsigned char *p[3], seed[1 << 16];
    size_t l[3], len = 3 + 4 * (size_t)(n - 1);
    for (int i = 0; i < n; i++) {
      dm_image small = dm_image_view(img, 100, 100, 48, h);
      strip_jpeg(ctx, &small, cuts[s][i], cuts[s][i + 1], 1, &p[i], &l[i]);
    }
    seed[0] = (unsigned char)(n - 1), seed[1] = (unsigned char)(h >> 8), seed[2] = (unsigned char)h;
    for (int i = 0; i < n - 1; i++)
      for (int b = 0; b < 4; b++) seed[3 + 4 * i + b] = (unsigned char)(l[i] >> (24 - 8 * b));
    for (int i = 0; i < n; i++) {
      CHECK(len + l[i] <= sizeof seed);
      memcpy(seed + len, p[i], l[i]);
      len += l[i];
      free(p[i]);
    }
    char name[32];
    snprintf(name, sizeof name, "strips%d.bin", n);
    iot_write(iot_path(dir, name), seed, len);
  }
  return dm_test_done("jpeg_join seeds");
}

int main(int argc, char **argv) {
  dm_context *one = dm_context_new(1), *many = dm_context_new(4);
  dm_decoded d = {0};
  CHECK_OK(one, dm_io_read(one, dm_test_photo("coffee"), &d));
  if (argc == 3 && !strcmp(argv[1], "--write-seeds")) return write_seeds(one, &d.img, argv[2]);
  /* linear light, as the previews hand it over */
  dm_image lin;
  CHECK_OK(one, dm_image_alloc(one, &lin, d.img.width, d.img.height, 3));
  for (int y = 0; y < lin.height; y++)
    for (int x = 0; x < lin.width * 3; x++) {
      float v = dm_row(&d.img, y)[x];
      dm_row(&lin, y)[x] = v * v; /* any monotone map: the comparison is of two encodings */
    }
  const int heights[] = {400, 399, 257, 256, 250, 100, 64, 17};
  for (size_t i = 0; i < sizeof heights / sizeof *heights; i++) {
    dm_image v = dm_image_view(&lin, 0, 0, lin.width, heights[i]);
    same_pixels(one, many, &v, 85);
    same_pixels(one, many, &v, 95);
  }
  dm_image odd = dm_image_view(&lin, 3, 0, 501, 400); /* a width that is no whole MCU */
  same_pixels(one, many, &odd, 85);
  refusals(one, &d.img);
  dm_image_free(&lin);
  dm_decoded_free(&d);
  dm_context_free(one);
  dm_context_free(many);
  return dm_test_done("jpeg_join");
}
