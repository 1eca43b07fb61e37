/* One baseline JPEG from strips encoded apart (the editor's previews encode
 * their strips on every thread: libjpeg is one thread).
 *
 * Each strip is a whole JPEG of the same width, quality and tables, with a
 * restart marker after every MCU row (DRI) and a height that is a multiple
 * of the MCU's but for the last. A restart resets the DC predictions and
 * byte-aligns the entropy data, so a strip's entropy data decodes the same
 * wherever it starts a restart interval. The joined file is the first
 * strip's headers with the full height in SOF, then each strip's entropy
 * data, a restart marker between strips and each strip's markers numbered
 * on (RST0..7 cycle through the file), then EOI. Its pixels are those of
 * one encoder run with the same restart interval. */
#include <stdlib.h>
#include <string.h>

#include "io/io.h"

typedef struct strip {
  size_t sof;       /* offset of its SOF0 marker */
  size_t data, end; /* its entropy-coded data: [data, end) */
  unsigned dri;     /* its restart interval (MCUs) */
} strip;

static unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }

/* The markers of one strip as dm_jpeg_write_rows writes them; 0 when it is
 * not such a file. */
static int read_strip(const unsigned char *p, size_t n, strip *s) {
  memset(s, 0, sizeof *s);
  if (n < 4 || p[0] != 0xFF || p[1] != 0xD8 || p[n - 2] != 0xFF || p[n - 1] != 0xD9) return 0;
  size_t pos = 2;
  int sof = 0;
  while (pos + 4 <= n - 2) {
    if (p[pos] != 0xFF) return 0;
    unsigned m = p[pos + 1], len = be16(p + pos + 2);
    if (len < 2 || pos + 2 + len > n - 2) return 0;
    if (m >= 0xC1 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) return 0; /* not baseline */
    if (m == 0xC0) {
      if (len < 8) return 0;
      s->sof = pos, sof = 1;
    } else if (m == 0xDD) {
      if (len != 4) return 0;
      s->dri = be16(p + pos + 4);
    } else if (m == 0xDA) {
      s->data = pos + 2 + len, s->end = n - 2;
      return sof && s->dri > 0;
    }
    pos += 2 + len;
  }
  return 0;
}

/* Copy entropy data [a, b) of p to o, numbering its restart markers on
 * from `first`; the count of markers, or -1 at any other marker. */
static long copy_data(const unsigned char *p, size_t a, size_t b, unsigned first, unsigned char *o,
                      size_t *olen) {
  long rst = 0;
  for (size_t i = a; i < b; i++) {
    o[(*olen)++] = p[i];
    if (p[i] != 0xFF) continue;
    if (i + 1 >= b) return -1;
    unsigned m = p[++i];
    if (m >= 0xD0 && m <= 0xD7) {
      m = 0xD0 + ((m - 0xD0 + first) & 7);
      rst++;
    } else if (m != 0x00) { /* only stuffed bytes and restarts in a scan */
      return -1;
    }
    o[(*olen)++] = (unsigned char)m;
  }
  return rst;
}

dm_status dm_jpeg_join(dm_context *ctx, unsigned char *const *parts, const size_t *lens, int n,
                       int height, unsigned char **out, size_t *out_len) {
  *out = NULL, *out_len = 0;
  if (n < 1 || height < 1 || height > 65535)
    return dm_fail(ctx, DM_ERR_PARAM, "preview", "cannot join %d JPEG strips of %d rows", n, height);
  strip *s = calloc((size_t)n, sizeof *s);
  size_t total = 0;
  for (int i = 0; s && i < n; i++) {
    if (!read_strip(parts[i], lens[i], &s[i]) || s[i].dri != s[0].dri ||
        be16(parts[i] + s[i].sof + 7) != be16(parts[0] + s[0].sof + 7)) {
      free(s);
      return dm_fail(ctx, DM_ERR_FORMAT, "preview", "JPEG strip %d cannot be joined", i);
    }
    total += lens[i] + 2;
  }
  unsigned char *o = s ? malloc(total) : NULL;
  if (!o) {
    free(s);
    return dm_fail(ctx, DM_ERR_NOMEM, "preview", "out of memory for a preview");
  }
  size_t len = s[0].data;
  memcpy(o, parts[0], len);
  o[s[0].sof + 5] = (unsigned char)(height >> 8), o[s[0].sof + 6] = (unsigned char)height;
  unsigned long intervals = 0; /* restart intervals so far: the next marker's number */
  for (int i = 0; i < n; i++) {
    if (i > 0) {
      o[len++] = 0xFF;
      o[len++] = (unsigned char)(0xD0 + ((intervals - 1) & 7));
    }
    long rst = copy_data(parts[i], s[i].data, s[i].end, (unsigned)(intervals & 7), o, &len);
    if (rst < 0) {
      free(s), free(o);
      return dm_fail(ctx, DM_ERR_FORMAT, "preview", "JPEG strip %d has a marker inside its scan", i);
    }
    intervals += (unsigned long)rst + 1;
  }
  o[len++] = 0xFF;
  o[len++] = 0xD9;
  free(s);
  *out = o, *out_len = len;
  return DM_OK;
}
