/* From decoded samples to the working space: which profile describes the
 * samples, and the conversion. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "color/color_internal.h"

/* Where the description of the samples comes from, in order of precedence. */
typedef enum source_kind {
  SRC_RAW,         /* linear ProPhoto from LibRaw */
  SRC_ICC,         /* embedded profile */
  SRC_SRGB_CHUNK,  /* PNG sRGB chunk */
  SRC_PNG_CHUNKS,  /* PNG gAMA and/or cHRM */
  SRC_UNTAGGED     /* nothing: sRGB */
} source_kind;

static source_kind classify(const dm_metadata *m) {
  if (m->space == DM_SPACE_LINEAR_PROPHOTO) return SRC_RAW;
  if (m->icc && m->icc_len > 0) return SRC_ICC;
  if (m->srgb_chunk) return SRC_SRGB_CHUNK;
  if (dm_png_gamma_valid(m->gamma) || (m->has_chrm && dm_png_chrm_valid(m->chrm))) return SRC_PNG_CHUNKS;
  return SRC_UNTAGGED;
}

static const char *space_name(cmsColorSpaceSignature s, char buf[8]) {
  switch (s) {
  case cmsSigGrayData: return "grey";
  case cmsSigRgbData: return "RGB";
  case cmsSigCmykData: return "CMYK";
  case cmsSigLabData: return "Lab";
  case cmsSigXYZData: return "XYZ";
  default: break;
  }
  /* Other signatures are four characters, e.g. 'YCbr'; print them only if
   * they are printable, since the bytes come from the file. */
  for (int i = 0; i < 4; i++) {
    unsigned char c = (unsigned char)((uint32_t)s >> (24 - 8 * i));
    buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
  }
  buf[4] = 0;
  for (int i = 3; i > 0 && buf[i] == ' '; i--) buf[i] = 0;
  return buf;
}

static const char *class_problem(cmsProfileClassSignature c) {
  switch (c) {
  case cmsSigLinkClass: return "a device link";
  case cmsSigAbstractClass: return "an abstract profile";
  case cmsSigNamedColorClass: return "a named-colour profile";
  default: return NULL;
  }
}

static dm_status open_embedded(dm_context *ctx, dm_cms *cms, const dm_decoded *in, const char *name,
                               cmsHPROFILE *out) {
  const dm_metadata *m = &in->meta;
  if (m->icc_len < 132 || m->icc_len > UINT32_MAX)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "embedded ICC profile is corrupt (%zu bytes is not a valid size)",
                   m->icc_len);
  cmsHPROFILE h = cmsOpenProfileFromMemTHR(cms->id, m->icc, (cmsUInt32Number)m->icc_len);
  if (!h)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "embedded ICC profile is corrupt (%s)",
                   dm_cms_message(cms, "lcms2 cannot read it"));
  const char *bad_class = class_problem(cmsGetDeviceClass(h));
  if (bad_class) {
    cmsCloseProfile(h);
    return dm_fail(ctx, DM_ERR_FORMAT, name, "embedded ICC profile is %s, not an image profile", bad_class);
  }
  cmsColorSpaceSignature want = in->img.channels == 1 ? cmsSigGrayData : cmsSigRgbData;
  cmsColorSpaceSignature got = cmsGetColorSpace(h);
  if (got != want) {
    char buf[8];
    cmsCloseProfile(h);
    return dm_fail(ctx, DM_ERR_FORMAT, name, "embedded ICC profile is for %s data but the image is %s",
                   space_name(got, buf), in->img.channels == 1 ? "grey" : "RGB");
  }
  *out = h;
  return DM_OK;
}

/* PNG chunks we ignore because their values make no sense. */
static void warn_ignored(dm_context *ctx, const dm_metadata *m, const char *name) {
  if (m->srgb_chunk) return; /* it overrides them anyway */
  if (m->gamma != 0 && !dm_png_gamma_valid(m->gamma))
    dm_log(ctx, DM_LOG_WARN, "%s: ignoring PNG gAMA %g (out of range)", name ? name : "image", m->gamma);
  if (m->has_chrm && !dm_png_chrm_valid(m->chrm))
    dm_log(ctx, DM_LOG_WARN, "%s: ignoring invalid PNG cHRM chromaticities", name ? name : "image");
}

dm_status dm_color_input_profile(dm_context *ctx, dm_cms *cms, const dm_decoded *in, const char *name,
                                 cmsHPROFILE *out) {
  *out = NULL;
  const dm_metadata *m = &in->meta;
  int grey = in->img.channels == 1;
  cmsHPROFILE h = NULL;
  switch (classify(m)) {
  case SRC_RAW:
    if (grey) return dm_fail(ctx, DM_ERR_FORMAT, name, "camera RAW data must have 3 channels, not 1");
    h = dm_profile_linear_prophoto(cms);
    break;
  case SRC_ICC:
    return open_embedded(ctx, cms, in, name, out);
  case SRC_SRGB_CHUNK:
  case SRC_UNTAGGED:
    warn_ignored(ctx, m, name);
    /* RGB: our sRGB as we embed it, so that a file we wrote decodes the
     * same whether its profile is read or ignored. */
    if (grey) {
      h = dm_profile_gray_srgb(cms);
    } else {
      dm_status s = dm_profile_output_embedded(ctx, cms, DM_PROFILE_SRGB, name, &h, NULL, NULL);
      if (s != DM_OK) return s;
    }
    break;
  case SRC_PNG_CHUNKS:
    warn_ignored(ctx, m, name);
    h = dm_profile_png(cms, m, in->img.channels);
    break;
  }
  if (!h)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "cannot build a profile for the image's colours (%s)",
                   dm_cms_message(cms, "lcms2 gave no reason"));
  *out = h;
  return DM_OK;
}

/* The transform could not be built: say why as plainly as we can. */
static dm_status explain_unusable(dm_context *ctx, const dm_cms *cms, const dm_decoded *in, const char *name) {
  const dm_metadata *m = &in->meta;
  if (classify(m) != SRC_ICC)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "the image's colour description cannot be used (%s)",
                   dm_cms_message(cms, "lcms2 gave no reason"));
  /* lcms2 reads tags lazily, so a cut-off profile opens and fails here. */
  const unsigned char *p = m->icc;
  uint32_t declared = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
  if (declared > m->icc_len)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "embedded ICC profile is truncated (%zu of %u bytes)", m->icc_len,
                   (unsigned)declared);
  return dm_fail(ctx, DM_ERR_FORMAT, name, "embedded ICC profile cannot be used (%s)",
                 dm_cms_message(cms, "lcms2 gave no reason"));
}

/* Convert into `out`, or into in->img itself when `inplace` and it has 3
 * channels (the transform reads each pixel whole before writing it). */
static dm_status to_working(dm_context *ctx, const dm_decoded *in, const char *name, dm_image *out,
                            int inplace) {
  memset(out, 0, sizeof *out);
  if (!in || !in->img.data || in->img.width <= 0 || in->img.height <= 0)
    return dm_fail(ctx, DM_ERR_PARAM, name, "no image to convert");
  const dm_image *img = &in->img;
  if (img->channels != 1 && img->channels != 3)
    return dm_fail(ctx, DM_ERR_FORMAT, name, "images with %d channels are not supported", img->channels);
  if (img->stride < (size_t)img->width * (size_t)img->channels)
    return dm_fail(ctx, DM_ERR_PARAM, name, "image rows overlap (stride %zu)", img->stride);
  long long pixels = (long long)img->width * img->height;
  if (pixels > DM_MAX_PIXELS)
    return dm_fail(ctx, DM_ERR_RANGE, name, "image of %dx%d pixels is too large", img->width, img->height);

  dm_cms cms;
  dm_status s = dm_cms_open(ctx, &cms, name);
  if (s != DM_OK) return s;
  cmsHPROFILE src = NULL, work = NULL;
  dm_xform *xf = NULL;
  s = dm_color_input_profile(ctx, &cms, in, name, &src);
  if (s == DM_OK) {
    work = dm_profile_working(&cms);
    if (!work) s = dm_fail(ctx, DM_ERR_NOMEM, name, "cannot build the working space profile");
  }
  if (s == DM_OK) {
    s = dm_xform_new(ctx, &cms, src, img->channels, work, 0, pixels, name, &xf);
    if (s == DM_ERR_FORMAT) s = explain_unusable(ctx, &cms, in, name);
  }
  int same = inplace && img->channels == 3;
  if (s == DM_OK && !same) s = dm_image_alloc(ctx, out, img->width, img->height, 3);
  if (s == DM_OK) s = dm_xform_apply(ctx, xf, img, same ? (dm_image *)img : out);
  if (s != DM_OK) dm_image_free(out);
  dm_xform_free(xf);
  if (work) cmsCloseProfile(work);
  if (src) cmsCloseProfile(src);
  dm_cms_close(&cms);
  return s;
}

dm_status dm_color_to_working(dm_context *ctx, const dm_decoded *in, const char *name, dm_image *out) {
  return to_working(ctx, in, name, out, 0);
}

dm_status dm_color_to_working_inplace(dm_context *ctx, dm_decoded *d, const char *name) {
  dm_image fresh;
  dm_status s = to_working(ctx, d, name, &fresh, 1);
  if (s == DM_OK && fresh.data) { /* grey input: a new 3-channel buffer */
    dm_image_free(&d->img);
    d->img = fresh;
  }
  return s;
}

static void copy_trimmed(char *out, size_t out_len, const char *prefix, const char *text) {
  char clean[256];
  size_t n = 0;
  for (const char *p = text; *p && n + 1 < sizeof clean; p++) {
    unsigned char c = (unsigned char)*p;
    clean[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
  }
  while (n && clean[n - 1] == ' ') n--;
  clean[n] = 0;
  snprintf(out, out_len, "%s%s", prefix, n ? clean : "ICC profile without a description");
}

static void describe_icc(const dm_decoded *in, char *out, size_t out_len) {
  dm_cms cms;
  if (dm_cms_open(NULL, &cms, NULL) != DM_OK) {
    snprintf(out, out_len, "embedded ICC profile");
    return;
  }
  cmsHPROFILE h = NULL;
  if (in->meta.icc_len >= 132 && in->meta.icc_len <= UINT32_MAX)
    h = cmsOpenProfileFromMemTHR(cms.id, in->meta.icc, (cmsUInt32Number)in->meta.icc_len);
  if (!h) {
    snprintf(out, out_len, "embedded ICC profile, unreadable");
  } else {
    char desc[256] = "";
    cmsGetProfileInfoASCII(h, cmsInfoDescription, "en", "US", desc, sizeof desc);
    desc[sizeof desc - 1] = 0;
    copy_trimmed(out, out_len, "embedded: ", desc);
    cmsCloseProfile(h);
  }
  dm_cms_close(&cms);
}

void dm_color_describe(const dm_decoded *in, char *out, size_t out_len) {
  if (!out || out_len == 0) return;
  const dm_metadata *m = &in->meta;
  int grey = in->img.channels == 1;
  switch (classify(m)) {
  case SRC_RAW: snprintf(out, out_len, "linear ProPhoto (camera RAW)"); break;
  case SRC_ICC: describe_icc(in, out, out_len); break;
  case SRC_SRGB_CHUNK: snprintf(out, out_len, "PNG sRGB chunk"); break;
  case SRC_PNG_CHUNKS:
    if (dm_png_gamma_valid(m->gamma))
      snprintf(out, out_len, "PNG gAMA %.5g%s", m->gamma,
               !grey && m->has_chrm && dm_png_chrm_valid(m->chrm) ? " + cHRM" : "");
    else
      snprintf(out, out_len, "PNG cHRM (sRGB tone curve assumed)");
    break;
  case SRC_UNTAGGED:
    snprintf(out, out_len, grey ? "untagged grey (sRGB assumed)" : "untagged (sRGB assumed)");
    break;
  }
}
