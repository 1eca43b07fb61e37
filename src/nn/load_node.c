/* Nodes: names, op types, domains, attributes, and their inputs and outputs
 * resolved to value indices (needs the values of load_graph.c). Nodes stay
 * in file order here; load_sort.c orders them. Op support is the planner's
 * business, not checked here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/load_internal.h"

void nn_attr_free(nn_attr *a) {
  free(a->name);
  free(a->s);
  free(a->floats);
  free(a->ints);
  if (a->strings)
    for (size_t i = 0; i < a->n; i++) free(a->strings[i]);
  free(a->strings);
  free(a->t.data);
  memset(a, 0, sizeof *a);
}

/* Protobuf bytes -> NUL-terminated copy. */
static char *copy_bytes(const ProtobufCBinaryData *b) {
  char *s = malloc(b->len + 1);
  if (!s) return NULL;
  if (b->len) memcpy(s, b->data, b->len);
  s[b->len] = 0;
  return s;
}

/* IR < 2 attributes carry no type field: take it from the field that is set. */
static int attr_type(const Onnx__AttributeProto *ap) {
  if (ap->has_type) return (int)ap->type;
  if (ap->has_f) return NN_ATTR_FLOAT;
  if (ap->has_i) return NN_ATTR_INT;
  if (ap->has_s) return NN_ATTR_STRING;
  if (ap->t) return NN_ATTR_TENSOR;
  if (ap->g) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
  if (ap->n_floats) return NN_ATTR_FLOATS;
  if (ap->n_ints) return NN_ATTR_INTS;
  if (ap->n_strings) return NN_ATTR_STRINGS;
  if (ap->n_graphs) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
  if (ap->n_tensors) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS;
  return 0;
}

#define NODE_FAIL(L, nd, s, fmt, ...)                                                       \
  dm_fail((L)->ctx, s, (L)->g->name, "node '" NN_NAME_MSG "' (" NN_NAME_MSG "): " fmt, (nd)->name, \
          (nd)->op_type, __VA_ARGS__)

static dm_status load_attr(nn_loader *L, const nn_node *nd, Onnx__AttributeProto *ap, nn_attr *a) {
  const char *name = nn_str(ap->name);
  if (!*name) return NODE_FAIL(L, nd, DM_ERR_FORMAT, "%s", "an attribute has no name");
  if (!(a->name = strdup(name))) return NODE_FAIL(L, nd, DM_ERR_NOMEM, "%s", "out of memory");
  int type = attr_type(ap);
  int ok = 1;
  switch (type) {
  case NN_ATTR_FLOAT: a->f = ap->f; break;
  case NN_ATTR_INT: a->i = ap->i; break;
  case NN_ATTR_STRING: ok = (a->s = copy_bytes(&ap->s)) != NULL; break;
  case NN_ATTR_FLOATS:
    ok = (a->floats = malloc(ap->n_floats ? ap->n_floats * sizeof(float) : 1)) != NULL;
    if (ok && ap->n_floats) memcpy(a->floats, ap->floats, ap->n_floats * sizeof(float));
    a->n = ap->n_floats;
    break;
  case NN_ATTR_INTS:
    ok = (a->ints = malloc(ap->n_ints ? ap->n_ints * sizeof(int64_t) : 1)) != NULL;
    if (ok && ap->n_ints) memcpy(a->ints, ap->ints, ap->n_ints * sizeof(int64_t));
    a->n = ap->n_ints;
    break;
  case NN_ATTR_STRINGS:
    ok = (a->strings = calloc(ap->n_strings ? ap->n_strings : 1, sizeof(char *))) != NULL;
    if (ok) a->n = ap->n_strings;
    for (size_t i = 0; ok && i < ap->n_strings; i++) ok = (a->strings[i] = copy_bytes(&ap->strings[i])) != NULL;
    break;
  case NN_ATTR_TENSOR: {
    if (!ap->t) return NODE_FAIL(L, nd, DM_ERR_FORMAT, "attribute '" NN_NAME_MSG "' has no tensor", name);
    char who[3 * 200 + 64];
    snprintf(who, sizeof who, "node '" NN_NAME_MSG "' (" NN_NAME_MSG "): attribute '" NN_NAME_MSG "'",
             nd->name, nd->op_type, name);
    dm_status s = nn_load_tensor(L->ctx, L->g->name, ap->t, L->base_dir, who, NULL, &a->t, NULL);
    if (s != DM_OK) return s;
    break;
  }
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH:
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS:
    return NODE_FAIL(L, nd, DM_ERR_FORMAT, "attribute '" NN_NAME_MSG "': subgraphs are not supported", name);
  default:
    return NODE_FAIL(L, nd, DM_ERR_FORMAT, "attribute '" NN_NAME_MSG "' has unsupported type %d", name, type);
  }
  if (!ok) return NODE_FAIL(L, nd, DM_ERR_NOMEM, "%s", "out of memory");
  a->type = type;
  return DM_OK;
}

/* Name, op type, domain and counts; the node is named "#<k>" if it has no name. */
static dm_status load_header(nn_loader *L, size_t k, nn_node *nd) {
  const Onnx__NodeProto *np = L->gp->node[k];
  char num[32];
  snprintf(num, sizeof num, "#%zu", k);
  const char *name = nn_str(np->name);
  nd->name = strdup(*name ? name : num);
  nd->op_type = strdup(nn_str(np->op_type));
  nd->domain = strdup(nn_str(np->domain));
  if (!nd->name || !nd->op_type || !nd->domain)
    return dm_fail(L->ctx, DM_ERR_NOMEM, L->g->name, "out of memory");
  if (!nd->op_type[0])
    return dm_fail(L->ctx, DM_ERR_FORMAT, L->g->name, "node '" NN_NAME_MSG "' has no op_type", nd->name);
  if (np->n_input > NN_MAX_NODE_IO || np->n_output > NN_MAX_NODE_IO)
    return NODE_FAIL(L, nd, DM_ERR_FORMAT, "%zu inputs and %zu outputs (at most %d each)", np->n_input,
                     np->n_output, NN_MAX_NODE_IO);
  if (np->n_attribute > NN_MAX_ATTRS)
    return NODE_FAIL(L, nd, DM_ERR_FORMAT, "%zu attributes (at most %d)", np->n_attribute, NN_MAX_ATTRS);
  return DM_OK;
}

/* Inputs and outputs -> value indices ("" = omitted optional: -1). */
static dm_status link_io(nn_loader *L, size_t k, nn_node *nd) {
  const Onnx__NodeProto *np = L->gp->node[k];
  nd->in = malloc((np->n_input ? np->n_input : 1) * sizeof(int));
  nd->out = malloc((np->n_output ? np->n_output : 1) * sizeof(int));
  if (!nd->in || !nd->out) return NODE_FAIL(L, nd, DM_ERR_NOMEM, "%s", "out of memory");
  nd->n_in = (int)np->n_input;
  nd->n_out = (int)np->n_output;
  for (size_t j = 0; j < np->n_input; j++) {
    const char *s = np->input[j];
    nd->in[j] = *s ? nn_find_value(L, s) : -1;
    if (*s && nd->in[j] < 0)
      return NODE_FAIL(L, nd, DM_ERR_FORMAT,
                       "input '" NN_NAME_MSG "' is not a graph input, an initializer or the output of any node", s);
  }
  for (size_t j = 0; j < np->n_output; j++) {
    const char *s = np->output[j];
    nd->out[j] = *s ? nn_find_value(L, s) : -1;
    if (nd->out[j] >= 0) L->g->values[nd->out[j]].producer = (int)k;
  }
  return DM_OK;
}

dm_status nn_load_nodes(nn_loader *L) {
  nn_graph *g = L->g;
  size_t n = L->gp->n_node;
  if (!n) return DM_OK;
  if (!(g->nodes = calloc(n, sizeof *g->nodes)))
    return dm_fail(L->ctx, DM_ERR_NOMEM, g->name, "out of memory");
  g->n_nodes = (int)n;
  for (size_t k = 0; k < n; k++) {
    nn_node *nd = &g->nodes[k];
    const Onnx__NodeProto *np = L->gp->node[k];
    dm_status s = load_header(L, k, nd);
    if (s == DM_OK) s = link_io(L, k, nd);
    if (s == DM_OK && np->n_attribute && !(nd->attrs = calloc(np->n_attribute, sizeof(nn_attr))))
      s = NODE_FAIL(L, nd, DM_ERR_NOMEM, "%s", "out of memory");
    if (s != DM_OK) return s;
    nd->n_attrs = (int)np->n_attribute;
    for (size_t i = 0; i < np->n_attribute; i++)
      if ((s = load_attr(L, nd, np->attribute[i], &nd->attrs[i])) != DM_OK) return s;
  }
  return DM_OK;
}
