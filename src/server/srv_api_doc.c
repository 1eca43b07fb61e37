/* The endpoints about recipes and the session: GET /api/photos, GET
 * /api/state, PATCH /api/recipe, POST /api/sync, GET /api/progress, POST
 * /api/quit. The recipe's language is edit_doc's (the --set keys); this
 * file only hands bodies over and adds what the document does not know
 * (the photo's size, its scene). */
#include <stdio.h>
#include <string.h>

#include "server/srv_internal.h"

static json_t *str_or_null(const char *s) { return s && *s ? srv_json_text(s) : json_null(); }

void srv_api_photos(dm_server *srv, srv_photo *unused, const srv_request *rq,
                    dm_http_reply *reply) {
  json_t *list = json_array();
  for (int i = 0; list && i < srv->n_photos; i++) {
    srv_photo *p = &srv->photos[i];
    json_t *sidecar, *save_error;
    pthread_mutex_lock(&p->doc_mu);
    sidecar = p->doc ? json_string(dm_edit_doc_sidecar_state(p->doc)) : NULL;
    save_error = str_or_null(p->save_error);
    pthread_mutex_unlock(&p->doc_mu);
    pthread_mutex_lock(&srv->mu);
    json_t *o = json_pack("{s:s, s:o, s:i, s:i, s:o, s:o, s:o}", "id", p->id, "name",
                          srv_json_text(p->name), "width", p->width, "height", p->height, "sidecar",
                          sidecar ? sidecar : json_null(), "problem", str_or_null(p->problem),
                          "save_error", save_error);
    pthread_mutex_unlock(&srv->mu);
    json_array_append_new(list, o);
  }
  srv_reply_json(reply, 200, json_pack("{s:o}", "photos", list ? list : json_array()));
}

json_t *srv_scene_progress_json(srv_photo *p) {
  /* The graph pointer is set once, under open_mu; taking it keeps this
   * from racing with the open. */
  pthread_mutex_lock(&p->open_mu);
  dm_graph *g = p->graph;
  pthread_mutex_unlock(&p->open_mu);
  if (!g)
    return json_pack("{s:s, s:f, s:b, s:b, s:n}", "stage", "not opened", "fraction", 0.0, "ready",
                     0, "failed", 0, "error");
  dm_graph_progress pr;
  dm_graph_progress_get(g, &pr);
  return json_pack("{s:s, s:f, s:b, s:b, s:o}", "stage", pr.stage, "fraction", (double)pr.fraction,
                   "ready", pr.ready, "failed", pr.failed, "error",
                   pr.failed ? srv_json_text(pr.error) : json_null());
}

static const char *depth_used_name(dm_depth_mode m) {
  switch (m) {
    case DM_DEPTH_MODE_FILE: return "file";
    case DM_DEPTH_MODE_EMBEDDED: return "embedded";
    case DM_DEPTH_MODE_AI: return "networks";
    default: return "none";
  }
}

/* The scene as the state tells it: where depth and matte came from, and how
 * far depth can be trusted to separate the subject. */
static json_t *scene_json(srv_photo *p, dm_graph *g) {
  json_t *o = srv_scene_progress_json(p);
  const dm_scene *sc = g ? dm_graph_scene(g, DM_LEVEL_PROXY) : NULL;
  if (!sc) return o;
  json_t *confidence = json_null();
  if (sc->confidence.data) {
    double sum = 0;
    for (int y = 0; y < sc->confidence.height; y++) {
      const float *row = dm_row(&sc->confidence, y);
      for (int x = 0; x < sc->confidence.width; x++) sum += row[x];
    }
    double mean = sum / ((double)sc->confidence.width * sc->confidence.height);
    char advice[256];
    int warn = dm_scene_advice(sc, advice, sizeof advice);
    confidence = json_pack("{s:f, s:f, s:b, s:s?}", "mean", mean, "ambiguous", (double)sc->ambiguous,
                           "warn", warn, "advice", warn ? advice : NULL);
  }
  json_object_update_new(
      o,
      json_pack("{s:o, s:s, s:o, s:o, s:s, s:b, s:o}", "depth_source",
                srv_json_text(sc->depth_source), "depth_used", depth_used_name(sc->depth_used),
                "matte", str_or_null(sc->matte_used), "matte_source", str_or_null(sc->matte_source),
                "models", sc->models, "cached", sc->cached, "confidence", confidence));
  return o;
}

void srv_api_state(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply) {
  /* A photo that cannot be decoded still has its recipe; photo.problem says why. */
  dm_graph *g = srv_photo_graph(srv, p, NULL);
  pthread_mutex_lock(&p->doc_mu);
  json_t *st = p->doc ? dm_edit_doc_state(p->doc) : NULL;
  json_t *save_error = str_or_null(p->save_error);
  pthread_mutex_unlock(&p->doc_mu);
  if (!st) {
    json_decref(save_error);
    pthread_mutex_lock(&srv->mu);
    srv_reply_error(reply, 422, "%s", p->problem[0] ? p->problem : "the recipe cannot be read");
    pthread_mutex_unlock(&srv->mu);
    return;
  }
  pthread_mutex_lock(&srv->mu);
  json_t *photo =
      json_pack("{s:s, s:o, s:i, s:i, s:o}", "id", p->id, "name", srv_json_text(p->name), "width",
                p->width, "height", p->height, "problem", str_or_null(p->problem));
  pthread_mutex_unlock(&srv->mu);
  json_object_set_new(st, "photo", photo);
  json_object_set_new(st, "scene", scene_json(p, g));
  json_object_set_new(st, "save_error", save_error);
  srv_reply_json(reply, 200, st);
}

void srv_api_recipe(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply) {
  dm_context *ctx = dm_context_new(1);
  if (!ctx) {
    srv_reply_error(reply, 503, "out of memory");
    return;
  }
  json_t *out = NULL;
  dm_status s = DM_OK;
  pthread_mutex_lock(&p->doc_mu);
  int have = p->doc != NULL;
  if (have) s = dm_edit_doc_patch(ctx, p->doc, rq->body ? rq->body : "", rq->body_len, &out);
  pthread_mutex_unlock(&p->doc_mu);
  if (!have) srv_reply_error(reply, 422, "the recipe of %s cannot be read", p->name);
  else if (s) srv_reply_status(reply, ctx, s);
  else srv_reply_json(reply, 200, out ? out : json_object());
  if (s) json_decref(out);
  dm_context_free(ctx);
}

/* ---- POST /api/sync ------------------------------------------------------ */

static srv_photo *photo_of(dm_server *srv, json_t *id) {
  char text[32];
  if (json_is_string(id)) snprintf(text, sizeof text, "%s", json_string_value(id));
  else if (json_is_integer(id))
    snprintf(text, sizeof text, "%lld", (long long)json_integer_value(id));
  else return NULL;
  for (int i = 0; i < srv->n_photos; i++)
    if (!strcmp(srv->photos[i].id, text)) return &srv->photos[i];
  return NULL;
}

/* Both documents locked, lower index first (two syncs in opposite
 * directions must not wait on each other). */
static dm_status sync_pair(dm_context *ctx, srv_photo *from, srv_photo *to,
                           const char *const *sections, int n) {
  srv_photo *first = from < to ? from : to, *second = from < to ? to : from;
  pthread_mutex_lock(&first->doc_mu);
  pthread_mutex_lock(&second->doc_mu);
  dm_status s;
  if (!from->doc || !to->doc)
    s = dm_fail(ctx, DM_ERR_PARAM, (from->doc ? to : from)->name, "its recipe cannot be read");
  else
    s = dm_edit_doc_sync(ctx, from->doc, to->doc, sections, n);
  pthread_mutex_unlock(&second->doc_mu);
  pthread_mutex_unlock(&first->doc_mu);
  return s;
}

void srv_api_sync(dm_server *srv, srv_photo *unused, const srv_request *rq, dm_http_reply *reply) {
  json_error_t err;
  json_t *body = json_loadb(rq->body ? rq->body : "", rq->body_len, JSON_REJECT_DUPLICATES, &err);
  static const char *const all[] = {"masks", "adjust", "lens_blur"};
  const char *sections[8];
  int n = 0;
  json_t *to = json_object_get(body, "to"), *secs = json_object_get(body, "sections");
  srv_photo *from = photo_of(srv, json_object_get(body, "from"));
  if (!body) {
    srv_reply_error(reply, 400, "the body is not JSON: %s (line %d)", err.text, err.line);
    return;
  }
  if (!json_is_object(body) || !from || !json_is_array(to) || (secs && !json_is_array(secs))) {
    srv_reply_error(reply, 400, "sync takes {\"from\": ID, \"to\": [ID...], \"sections\": "
                                "[\"masks\", \"adjust\", \"lens_blur\"]} with IDs of open photos");
    json_decref(body);
    return;
  }
  if (!secs) {
    for (; n < 3; n++) sections[n] = all[n];
  } else {
    size_t i;
    json_t *v;
    json_array_foreach(secs, i, v) {
      if (!json_is_string(v) || n == 8) {
        srv_reply_error(reply, 400,
                        "sections is a list of up to 8 names (masks, adjust, lens_blur)");
        json_decref(body);
        return;
      }
      sections[n++] = json_string_value(v);
    }
  }
  dm_context *ctx = dm_context_new(1);
  json_t *done = json_array();
  size_t i;
  json_t *id;
  dm_status s = ctx && done ? DM_OK : DM_ERR_NOMEM;
  /* Every target is checked before any is changed. */
  json_array_foreach(to, i, id) {
    if (!photo_of(srv, id)) {
      srv_reply_error(reply, 400, "\"to\" names no open photo at index %zu", i);
      s = DM_ERR_PARAM;
      break;
    }
  }
  json_array_foreach(to, i, id) {
    srv_photo *p = photo_of(srv, id);
    if (s || !p) break;
    if (p == from) continue;
    if ((s = sync_pair(ctx, from, p, sections, n)) == DM_OK)
      json_array_append_new(done, json_string(p->id));
    else srv_reply_status(reply, ctx, s);
  }
  if (!s) srv_reply_json(reply, 200, json_pack("{s:O}", "synced", done));
  else if (!reply->status) srv_reply_error(reply, 503, "out of memory");
  json_decref(done);
  json_decref(body);
  dm_context_free(ctx);
}

/* ---- progress and quit --------------------------------------------------- */

void srv_api_progress(dm_server *srv, srv_photo *p, const srv_request *rq, dm_http_reply *reply) {
  srv_reply_json(reply, 200, json_pack("{s:s, s:o, s:o}", "photo", p->id, "scene",
                                       srv_scene_progress_json(p), "export", srv_export_json(srv)));
}

void srv_api_quit(dm_server *srv, srv_photo *unused, const srv_request *rq, dm_http_reply *reply) {
  atomic_store(&srv->quit, 1);
  reply->close = 1;
  srv_reply_json(reply, 200, json_pack("{s:b}", "quitting", 1));
}
