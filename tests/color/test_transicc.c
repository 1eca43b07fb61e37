/* The colour test: a known patch set in 16-bit Adobe RGB and
 * ProPhoto, converted to sRGB by depthmask (embedded profile -> working
 * space -> sRGB), matches lcms2's own `transicc` (liblcms2-utils) run on the
 * same 16-bit values, within CIEDE2000 0.5.
 *
 * Patches: the 24 ColorChecker Classic patches as X-Rite publishes them for
 * charts made from November 2014 on (CIELAB D50), plus a grey ramp. They
 * are encoded to 16-bit RGB with lcms2. The image is tiled with them twice:
 * a small one in memory (converted by lcms2 pixel by pixel) and one large
 * enough for the tabulated fast path, written as a 16-bit TIFF with the
 * profile embedded and read back through src/io. Source profiles: ours
 * (Adobe RGB, ProPhoto) and a third-party one, Artifex's a98.icc from
 * Debian's libgs-common. */
#include <lcms2.h>
#include <string.h>
#include <unistd.h>

#include "color/color.h"
#include "color/color_internal.h"
#include "dm_test.h"
#include "io/io.h"

static const double k_colorchecker[24][3] = {
    {37.54, 14.37, 14.92},  {64.66, 19.27, 17.50},  {49.32, -3.82, -22.54}, {43.46, -12.74, 22.72},
    {54.94, 9.61, -24.79},  {70.48, -32.26, -0.37}, {62.73, 35.83, 56.50},  {39.43, 10.75, -45.17},
    {50.57, 48.64, 16.67},  {30.10, 22.54, -20.87}, {71.77, -24.13, 58.19}, {71.51, 18.24, 67.37},
    {28.37, 15.42, -49.80}, {54.38, -39.72, 32.27}, {42.43, 51.05, 28.62},  {81.80, 2.67, 80.41},
    {50.63, 51.28, -14.12}, {49.57, -29.71, -28.32}, {95.19, -1.03, 2.93},  {81.29, -0.57, 0.44},
    {66.89, -0.75, -0.06},  {50.76, -0.13, 0.14},   {35.63, -0.46, -0.48},  {20.64, 0.07, -0.46},
};
enum { N_GREY = 21, N_PATCH = 24 + N_GREY };

#define A98_PATH "/usr/share/color/icc/ghostscript/a98.icc"

static void patch_lab(int i, cmsCIELab *lab) {
  if (i < 24) {
    lab->L = k_colorchecker[i][0], lab->a = k_colorchecker[i][1], lab->b = k_colorchecker[i][2];
  } else {
    lab->L = 5.0 * (i - 24), lab->a = 0, lab->b = 0;
  }
}

/* CIEDE2000 between two sRGB colours (0..1), through Lab D50 with lcms2. */
static double de2000_srgb(cmsHTRANSFORM to_lab, const double a[3], const double b[3]) {
  cmsCIELab la, lb;
  cmsDoTransform(to_lab, a, &la, 1);
  cmsDoTransform(to_lab, b, &lb, 1);
  return cmsCIE2000DeltaE(&la, &lb, 1, 1, 1);
}

/* One source profile: encode the patches, convert both ways, compare. */
static void run_case(dm_context *ctx, const char *label, const unsigned char *icc, size_t icc_len,
                     const char *dir, double *worst) {
  char icc_path[4200], in_path[4200], out_path[4200], cmd[13000];
  snprintf(icc_path, sizeof icc_path, "%s/%s.icc", dir, label);
  snprintf(in_path, sizeof in_path, "%s/%s-in.txt", dir, label);
  snprintf(out_path, sizeof out_path, "%s/%s-out.txt", dir, label);
  FILE *f = fopen(icc_path, "wb");
  CHECK(f && fwrite(icc, 1, icc_len, f) == icc_len);
  if (f) fclose(f);

  /* Lab -> 16-bit RGB codes in the source profile. */
  unsigned short codes[N_PATCH][3];
  cmsHPROFILE lab = cmsCreateLab4Profile(NULL), src = cmsOpenProfileFromMem(icc, (cmsUInt32Number)icc_len);
  CHECK(src != NULL);
  if (!src) return;
  cmsHTRANSFORM enc = cmsCreateTransform(lab, TYPE_Lab_DBL, src, TYPE_RGB_16, INTENT_RELATIVE_COLORIMETRIC, 0);
  for (int i = 0; i < N_PATCH; i++) {
    cmsCIELab v;
    patch_lab(i, &v);
    cmsDoTransform(enc, &v, codes[i], 1);
  }
  cmsDeleteTransform(enc);
  cmsCloseProfile(lab);
  cmsCloseProfile(src);

  /* transicc on the same codes, in its floating-point mode (0..255). */
  f = fopen(in_path, "w");
  CHECK(f != NULL);
  if (!f) return;
  for (int i = 0; i < N_PATCH; i++)
    fprintf(f, "%.6f %.6f %.6f\n", codes[i][0] * 255.0 / 65535.0, codes[i][1] * 255.0 / 65535.0,
            codes[i][2] * 255.0 / 65535.0);
  fclose(f);
  snprintf(cmd, sizeof cmd, "transicc -n -t1 -i'%s' -o'*sRGB' < '%s' > '%s' 2>/dev/null", icc_path, in_path, out_path);
  CHECK(system(cmd) == 0);
  double ref[N_PATCH][3];
  f = fopen(out_path, "r");
  CHECK(f != NULL);
  if (!f) return;
  int got = 0;
  for (int i = 0; i < N_PATCH; i++)
    for (int c = 0; c < 3; c++) got += fscanf(f, "%lf", &ref[i][c]) == 1;
  fclose(f);
  CHECK(got == N_PATCH * 3);
  if (got != N_PATCH * 3) return;

  cmsHPROFILE srgb = cmsCreate_sRGBProfile(), lab4 = cmsCreateLab4Profile(NULL);
  cmsHTRANSFORM to_lab = cmsCreateTransform(srgb, TYPE_RGB_DBL, lab4, TYPE_Lab_DBL, INTENT_RELATIVE_COLORIMETRIC, 0);
  cmsCloseProfile(srgb);
  cmsCloseProfile(lab4);

  /* depthmask, on a small and a large tiling of the same codes. */
  static const int sizes[2][2] = {{N_PATCH, 1}, {400, 200}};
  for (int s = 0; s < 2; s++) {
    dm_decoded d;
    memset(&d, 0, sizeof d);
    int w = sizes[s][0], h = sizes[s][1];
    CHECK_OK(ctx, dm_image_alloc(ctx, &d.img, w, h, 3));
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int c = 0; c < 3; c++) dm_px(&d.img, x, y)[c] = codes[(y * w + x) % N_PATCH][c] / 65535.0f;
    d.meta.format = DM_FMT_TIFF;
    d.meta.bits = 16;
    d.meta.icc = (unsigned char *)icc;
    d.meta.icc_len = icc_len;
    if (s == 1) {
      /* The large one goes through a real 16-bit TIFF file (src/io). */
      char tif[4300];
      snprintf(tif, sizeof tif, "%s/%s-patches.tif", dir, label);
      dm_write_options opt = {.format = DM_FMT_TIFF, .bits = 16, .icc = icc, .icc_len = icc_len};
      CHECK_OK(ctx, dm_io_write(ctx, tif, &d.img, &opt));
      dm_image_free(&d.img);
      memset(&d, 0, sizeof d);
      CHECK_OK(ctx, dm_io_read(ctx, tif, &d));
      CHECK(d.meta.format == DM_FMT_TIFF && d.meta.bits == 16 && d.img.width == w && d.img.height == h);
      CHECK(d.meta.icc_len == icc_len && d.meta.icc && !memcmp(d.meta.icc, icc, icc_len));
      if (!d.img.data || d.img.width != w || d.img.height != h) {
        dm_decoded_free(&d);
        continue;
      }
      int exact = 1;
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          for (int c = 0; c < 3; c++)
            exact &= lrintf(dm_px(&d.img, x, y)[c] * 65535.0f) == codes[(y * w + x) % N_PATCH][c];
      CHECK(exact);
    }
    dm_image work, out;
    CHECK_OK(ctx, dm_color_to_working(ctx, &d, label, &work));
    CHECK_OK(ctx, dm_color_from_working(ctx, &work, DM_PROFILE_SRGB, &out, NULL, NULL));
    double max_de = 0, sum_de = 0;
    int n = 0;
    /* Every patch, on the first and the last row. */
    for (int y = 0; y < h && out.data; y += h > 1 ? h - 1 : 1)
      for (int x = 0; x < w && x < 2 * N_PATCH; x++) {
        int i = (y * w + x) % N_PATCH;
        double a[3], b[3];
        for (int c = 0; c < 3; c++) {
          a[c] = dm_px(&out, x, y)[c];
          b[c] = fmin(1.0, fmax(0.0, ref[i][c] / 255.0)); /* we clip; transicc does not */
        }
        double de = de2000_srgb(to_lab, a, b);
        max_de = fmax(max_de, de);
        sum_de += de;
        n++;
      }
    printf("%s %dx%d: CIEDE2000 vs transicc max %.2e mean %.2e\n", label, w, h, max_de, sum_de / n);
    CHECK(max_de <= 0.5);
    if (max_de > *worst) *worst = max_de;
    dm_image_free(&work);
    dm_image_free(&out);
    if (s == 1) {
      dm_decoded_free(&d);
    } else {
      dm_image_free(&d.img);
    }
  }
  cmsDeleteTransform(to_lab);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  const char *dir = dm_test_tmpdir("color_transicc");
  CHECK(system("transicc -v0 < /dev/null > /dev/null 2>&1; command -v transicc > /dev/null") == 0);
  double worst = 0;
  static const dm_output_profile ours[2] = {DM_PROFILE_ADOBERGB, DM_PROFILE_PROPHOTO};
  dm_image one;
  CHECK_OK(ctx, dm_image_alloc_zero(ctx, &one, 1, 1, 3));
  for (int k = 0; k < 2; k++) {
    unsigned char *icc = NULL;
    size_t len = 0;
    dm_image enc;
    CHECK_OK(ctx, dm_color_from_working(ctx, &one, ours[k], &enc, &icc, &len));
    if (icc) run_case(ctx, dm_profile_name(ours[k]), icc, len, dir, &worst);
    dm_image_free(&enc);
    free(icc);
  }
  size_t a98_len = 0;
  unsigned char *a98 = dm_test_read(A98_PATH, &a98_len);
  CHECK(a98 != NULL && a98_len > 128); /* Debian libgs-common */
  if (a98) run_case(ctx, "a98-artifex", a98, a98_len, dir, &worst);
  free(a98);
  printf("worst CIEDE2000 against transicc: %.2e\n", worst);
  dm_image_free(&one);
  dm_context_free(ctx);
  return dm_test_done("color/test_transicc");
}
