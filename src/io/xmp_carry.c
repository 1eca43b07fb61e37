/* The XMP an output carries: the packet embedded in the photo (never its
 * sidecar), parsed with libxml2 through the recipe's hardened parser,
 * with what must not outlive the source file taken out, everything else
 * left as the photo had it, and re-serialised in a standard packet wrapper.
 *
 * Taken out:
 *  - every Camera Raw namespace (crs: settings, crss: snapshots, crlcp: lens
 *    profiles) and depthmask's own (dm:): an edit lives in a sidecar; in a
 *    rendered file it would be applied a second time by whoever opens it;
 *  - namespaces describing data after the photo's EOI or in Extended XMP,
 *    which outputs do not have: GDepth, GImage, Google's Container and
 *    GCamera (Motion Photo, Ultra HDR), Dynamic Depth, Adobe's gain map;
 *  - properties of the photo's own layout (orientation, pixel size, bits,
 *    profile name, thumbnail), which the output's pixels no longer match: the
 *    EXIF an output carries is fixed the same way (exif.c).
 * A packet left with nothing but empty rdf:Descriptions is dropped. */
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"
#include "recipe/recipe_internal.h" /* dm_xml_parse, DM_RDF_NS, DM_XMPMETA_NS, DM_XMP_NS */

/* XMP of a photo is a few KB; a larger packet is Camera Raw brush strokes,
 * and parsing it would cost more than the photo's decode. */
#define XMP_CARRY_MAX ((size_t)16 << 20)

#define NS_TIFF "http://ns.adobe.com/tiff/1.0/"
#define NS_EXIF "http://ns.adobe.com/exif/1.0/"

/* Namespaces taken out whole, by the start of their URI. */
static const char *const dropped_ns[] = {
    "http://ns.adobe.com/camera-raw-", /* crs:, crss:, crlcp: (DM_CRS_NS among them) */
    DM_XMP_NS,
    "http://ns.google.com/photos/1.0/depthmap/",
    "http://ns.google.com/photos/1.0/image/",
    "http://ns.google.com/photos/1.0/container/", /* and .../container/item/ */
    "http://ns.google.com/photos/1.0/camera/",    /* MicroVideo offsets from the file's end */
    "http://ns.google.com/photos/dd/1.0/",
    "http://ns.adobe.com/hdr-gain-map/1.0/",
};

/* Single properties of the photo taken out. */
static const struct {
  const char *ns, *local;
} dropped_props[] = {
    {"http://ns.adobe.com/xmp/note/", "HasExtendedXMP"},
    {"http://ns.adobe.com/xap/1.0/", "Thumbnails"},
    {NS_TIFF, "Orientation"},
    {NS_TIFF, "ImageWidth"},
    {NS_TIFF, "ImageLength"},
    {NS_TIFF, "BitsPerSample"},
    {NS_TIFF, "Compression"},
    {NS_TIFF, "PhotometricInterpretation"},
    {NS_TIFF, "SamplesPerPixel"},
    {NS_TIFF, "PlanarConfiguration"},
    {NS_EXIF, "PixelXDimension"},
    {NS_EXIF, "PixelYDimension"},
    {"http://ns.adobe.com/photoshop/1.0/", "ICCProfile"},
};

static const char packet_head[] = "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n";
static const char packet_tail[] = "\n<?xpacket end=\"w\"?>";

static int ns_dropped(const xmlNs *ns) {
  if (!ns || !ns->href) return 0;
  for (size_t i = 0; i < sizeof dropped_ns / sizeof dropped_ns[0]; i++)
    if (!strncmp((const char *)ns->href, dropped_ns[i], strlen(dropped_ns[i]))) return 1;
  return 0;
}

static int prop_dropped(const xmlNs *ns, const xmlChar *local) {
  if (!ns || !ns->href || !local) return 0;
  for (size_t i = 0; i < sizeof dropped_props / sizeof dropped_props[0]; i++)
    if (!strcmp((const char *)ns->href, dropped_props[i].ns) &&
        !strcmp((const char *)local, dropped_props[i].local))
      return 1;
  return 0;
}

static int is_rdf(xmlNodePtr n, const char *local) { return dm_xml_is(n, DM_RDF_NS, local); }

/* Unlink and free `n` with the white space before it (its indentation). */
static void remove_node(xmlNodePtr n) {
  xmlNodePtr prev = n->prev;
  if (prev && prev->type == XML_TEXT_NODE && xmlIsBlankNode(prev)) {
    xmlUnlinkNode(prev);
    xmlFreeNode(prev);
  }
  xmlUnlinkNode(n);
  xmlFreeNode(n);
}

/* Take out what goes from `n` and below. `photo`: n is a top-level
 * rdf:Description, whose properties are the photo's. */
static void strip(xmlNodePtr n, int photo) {
  for (xmlAttrPtr a = n->properties, next; a; a = next) {
    next = a->next;
    if (ns_dropped(a->ns) || (photo && prop_dropped(a->ns, a->name))) xmlRemoveProp(a);
  }
  for (xmlNodePtr c = n->children, next; c; c = next) {
    next = c->next;
    if (c->type != XML_ELEMENT_NODE) continue;
    if (ns_dropped(c->ns) || (photo && prop_dropped(c->ns, c->name)))
      remove_node(c);
    else
      strip(c, is_rdf(c, "Description") && is_rdf(n, "RDF"));
  }
  /* Their declarations: nothing in scope uses them any more. */
  for (xmlNsPtr *link = &n->nsDef; *link;) {
    xmlNsPtr d = *link;
    if (ns_dropped(d)) {
      *link = d->next;
      d->next = NULL;
      xmlFreeNs(d);
    } else {
      link = &d->next;
    }
  }
}

/* An rdf:Description with no property left (rdf:about and the like only). */
static int empty_description(xmlNodePtr d) {
  if (!is_rdf(d, "Description") || dm_xml_first_elem(d) || dm_xml_has_text(d)) return 0;
  for (xmlAttrPtr a = d->properties; a; a = a->next)
    if (!a->ns || !a->ns->href || strcmp((const char *)a->ns->href, DM_RDF_NS)) return 0;
  return 1;
}

/* The root element to carry (x:xmpmeta, or a bare rdf:RDF) and its rdf:RDF;
 * NULL when the document is not XMP. */
static xmlNodePtr xmp_root(xmlDocPtr doc, xmlNodePtr *rdf) {
  xmlNodePtr root = xmlDocGetRootElement(doc);
  *rdf = root;
  if (dm_xml_is(root, DM_XMPMETA_NS, "xmpmeta") || dm_xml_is(root, DM_XMPMETA_NS, "xapmeta"))
    *rdf = dm_xml_child(root, DM_RDF_NS, "RDF");
  return is_rdf(*rdf, "RDF") ? root : NULL;
}

/* `root` as UTF-8 text inside the packet wrapper, NUL-terminated; NULL when
 * out of memory. */
static unsigned char *serialise(xmlNodePtr root, size_t *len) {
  xmlBufferPtr buf = xmlBufferCreate();
  xmlSaveCtxtPtr sc = buf ? xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL) : NULL;
  long saved = sc ? xmlSaveTree(sc, root) : -1;
  if (sc && xmlSaveClose(sc) < 0) saved = -1;
  unsigned char *out = NULL;
  int n = buf ? xmlBufferLength(buf) : 0;
  if (saved >= 0 && n > 0 && (out = malloc(sizeof packet_head + (size_t)n + sizeof packet_tail))) {
    size_t h = sizeof packet_head - 1;
    memcpy(out, packet_head, h);
    memcpy(out + h, xmlBufferContent(buf), (size_t)n);
    memcpy(out + h + (size_t)n, packet_tail, sizeof packet_tail); /* with its NUL */
    *len = h + (size_t)n + sizeof packet_tail - 1;
  }
  if (buf) xmlBufferFree(buf);
  return out;
}

/* Filter the parsed packet into meta->xmp (left NULL when nothing is left). */
static dm_status carry(dm_context *ctx, dm_metadata *meta, xmlDocPtr doc, const char *name,
                       const char **why) {
  xmlNodePtr rdf, root = xmp_root(doc, &rdf);
  if (!root) {
    *why = "not an XMP packet";
    return DM_OK;
  }
  strip(root, 0);
  for (xmlNodePtr d = dm_xml_first_elem(rdf), next; d; d = next) {
    next = dm_xml_next_elem(d);
    if (empty_description(d)) remove_node(d);
  }
  if (!dm_xml_first_elem(rdf)) return DM_OK; /* only Camera Raw settings, say */
  meta->xmp = serialise(root, &meta->xmp_len);
  return meta->xmp ? DM_OK : dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory for XMP");
}

dm_status dm_xmp_attach(dm_context *ctx, dm_metadata *meta, const unsigned char *xmp, size_t len,
                        const char *name) {
  if (meta->xmp || !xmp) return DM_OK;
  /* Writers pad packets with NULs or white space. */
  while (len && (xmp[len - 1] == 0 || xmp[len - 1] == ' ' || xmp[len - 1] == '\n' ||
                 xmp[len - 1] == '\r' || xmp[len - 1] == '\t'))
    len--;
  if (!len) return DM_OK;
  if (len > XMP_CARRY_MAX) {
    dm_log(ctx, DM_LOG_WARN, "%s: the photo's XMP (%zu bytes) is too large; not carried over", name, len);
    return DM_OK;
  }
  /* A packet we drop is not the decode's error: keep the context's message. */
  char saved[sizeof ctx->error];
  if (ctx) memcpy(saved, ctx->error, sizeof saved);
  xmlDocPtr doc = NULL;
  dm_status s = dm_xml_parse(ctx, (const char *)xmp, len, "XMP", &doc);
  const char *why = NULL;
  if (!s) s = carry(ctx, meta, doc, name, &why);
  xmlFreeDoc(doc);
  if (s == DM_ERR_NOMEM) return s;
  if (s || why)
    dm_log(ctx, DM_LOG_WARN, "%s: the photo's XMP is not carried over: %s", name,
           why ? why : dm_context_error(ctx));
  if (ctx) memcpy(ctx->error, saved, sizeof saved);
  return DM_OK;
}
