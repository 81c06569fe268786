/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Open311 GeoReport v2, JSON format, under /open311/v2: intake from other
 * systems (a city's 12345 platform, a property company's app) that speak the
 * published specification rather than our API.
 *
 *   GET  discovery.json              what is served here
 *   GET  services.json               our categories as services, grouped;
 *                                    police-only categories are not offered
 *   GET  services/{code}.json        the service definition (its attributes)
 *   POST requests.json               a new request (form-encoded or JSON,
 *                                    with an api_key): an incident with
 *                                    source open311
 *   GET  requests.json               requests, with the standard filters
 *                                    and page / page_size
 *   GET  requests/{id}.json          one request, its status following the
 *                                    ticket
 *   GET  tokens/{token}.json         the request id of a token
 *   GET  servicerequestupdates.json  the updates feed (status changes since
 *                                    start_date)
 *
 * Only requests that came in through Open311 are readable here, and only
 * through the fields of the specification: status notes are written from
 * the ticket's state, never from the staff's internal notes, callers'
 * names and phones are never answered, and phone numbers typed into a
 * description are answered masked (138****5678). Keys are issued, listed and revoked
 * by an administrator through /api/v1/open311_keys, and stored as a hash,
 * like sign-in tokens.
 */

#include "config.h"

#include <string.h>
#include <sodium.h>

#include "fq-enum-types.h"

#include "fq-entities.h"
#include "fq-open311.h"
#include "fq-server-infra.h"

#define KEY_BYTES          24
#define MAX_PAGE_SIZE      1000
#define DEFAULT_PAGE_SIZE  100
#define DEFAULT_DAYS       90
#define SUMMARY_CHARS      60
/* The day this implementation of the specification last changed. */
#define CHANGESET          "2026-11-29T00:00:00Z"

/* ---- errors ---- */

static JsonNode *
error_array (guint       status,
             const char *description)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_int_value (builder, status);
  json_builder_set_member_name (builder, "description");
  json_builder_add_string_value (builder, description);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

void
fq_open311_respond_error (FqRequest  *request,
                          guint       status,
                          const char *description)
{
  fq_request_respond (request, status, error_array (status, description));
}

void
fq_open311_respond_early_error (SoupServerMessage *msg,
                                guint              status,
                                const char        *description)
{
  g_autoptr(JsonNode) node = error_array (status, description);
  gsize length;
  char *text = fq_json_to_string (node, &length);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, length);
}

/* The status and description of a GError in the specification's terms. */
static guint
error_status (const GError *error)
{
  guint status = SOUP_STATUS_INTERNAL_SERVER_ERROR;

  if (error->domain == FQ_ERROR)
    status = fq_error_code_to_status (error->code);
  /* The specification knows 400 for anything wrong with the request. */
  if (status == 422)
    status = SOUP_STATUS_BAD_REQUEST;
  return status;
}

static char *
error_description (const GError *error)
{
  g_autofree char *field = error->domain == FQ_ERROR ? fq_error_get_field (error) : NULL;

  if (field != NULL && !g_str_has_prefix (error->message, field))
    return g_strdup_printf ("%s: %s", field, error->message);
  return g_strdup (error->message);
}

/* In a job: answer the error array instead of our error object (a write is
 * rolled back all the same, since the status is 400 or more). */
static gboolean
job_respond_error (FqJob        *job,
                   const GError *error)
{
  g_autofree char *description = error_description (error);
  guint status = error_status (error);

  fq_job_respond (job, status, error_array (status, description));
  return TRUE;
}

/* ---- parameters ---- */

/* The parameters of a POST body, form-encoded as the specification says,
 * or a JSON object (whose "attribute" object becomes attribute[code]
 * parameters); an empty table for an empty body. Any thread: a large body
 * is parsed by a reader (fq_open311_handle()). */
static GHashTable *
body_params (const char  *content_type,
             GBytes      *body,
             GError     **error)
{
  g_autoptr(GHashTable) params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gsize length = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &length) : NULL;

  if (length == 0)
    return g_steal_pointer (&params);

  if (content_type != NULL &&
      g_ascii_strncasecmp (content_type, "application/x-www-form-urlencoded", 33) == 0)
    {
      g_autofree char *text = g_strndup (data, length);
      g_autoptr(GHashTable) form = soup_form_decode (text);
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, form);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          if (!g_utf8_validate (key, -1, NULL) || !g_utf8_validate (value, -1, NULL))
            {
              g_set_error_literal (error, FQ_ERROR, FQ_ERROR_BAD_REQUEST,
                                   "the form is not valid UTF-8");
              return NULL;
            }
          g_hash_table_replace (params, g_strdup (key), g_strdup (value));
        }
      return g_steal_pointer (&params);
    }

  if (content_type != NULL && g_ascii_strncasecmp (content_type, "application/json", 16) == 0)
    {
      g_autoptr(JsonObject) object = fq_json_parse_object (data, length, error);
      JsonObjectIter iter;
      const char *name;
      JsonNode *node;

      if (object == NULL)
        return NULL;
      json_object_iter_init (&iter, object);
      while (json_object_iter_next (&iter, &name, &node))
        {
          if (strcmp (name, "attribute") == 0 && JSON_NODE_HOLDS_OBJECT (node))
            {
              JsonObjectIter attr_iter;
              const char *attr;
              JsonNode *value;

              json_object_iter_init (&attr_iter, json_node_get_object (node));
              while (json_object_iter_next (&attr_iter, &attr, &value))
                {
                  if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
                    {
                      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "attribute",
                                          "%s: must be a string", attr);
                      return NULL;
                    }
                  g_hash_table_replace (params, g_strdup_printf ("attribute[%s]", attr),
                                        g_strdup (json_node_get_string (value)));
                }
              continue;
            }
          if (JSON_NODE_HOLDS_NULL (node))
            continue;
          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) == G_TYPE_BOOLEAN)
            {
              fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, name, "must be a string or a number");
              return NULL;
            }
          if (json_node_get_value_type (node) == G_TYPE_STRING)
            g_hash_table_replace (params, g_strdup (name), g_strdup (json_node_get_string (node)));
          else if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
            {
              char buffer[G_ASCII_DTOSTR_BUF_SIZE];

              g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node));
              g_hash_table_replace (params, g_strdup (name), g_strdup (buffer));
            }
          else
            g_hash_table_replace (params, g_strdup (name),
                                  g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node)));
        }
      return g_steal_pointer (&params);
    }

  g_set_error_literal (error, FQ_ERROR, FQ_ERROR_UNSUPPORTED_MEDIA,
                       "the body must be application/x-www-form-urlencoded or application/json");
  return NULL;
}

/* Adds the query string's parameters to @params, where the body has not
 * given the same one. */
static void
add_query_params (FqRequest  *request,
                  GHashTable *params)
{
  const char *names[] = { "service_request_id", "service_code", "start_date", "end_date",
                          "status", "page", "page_size", "jurisdiction_id", NULL };

  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *value = fq_request_get_query (request, names[i]);

      if (value != NULL && !g_hash_table_contains (params, names[i]))
        g_hash_table_insert (params, g_strdup (names[i]), g_strdup (value));
    }
}

/* A parameter with surrounding whitespace removed, or NULL when absent or
 * empty. */
static const char *
param (GHashTable *params,
       const char *name)
{
  char *value = g_hash_table_lookup (params, name);

  if (value == NULL)
    return NULL;
  g_strstrip (value);
  return *value != '\0' ? value : NULL;
}

/* "a,b,c" as a JSON array text for json_each(), or NULL. */
static char *
list_param (GHashTable *params,
            const char *name)
{
  const char *value = param (params, name);
  g_auto(GStrv) items = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;

  if (value == NULL)
    return NULL;
  items = g_strsplit (value, ",", -1);
  builder = json_builder_new_immutable ();
  json_builder_begin_array (builder);
  for (guint i = 0; items[i] != NULL; i++)
    {
      g_strstrip (items[i]);
      if (*items[i] != '\0')
        json_builder_add_string_value (builder, items[i]);
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return fq_json_to_string (root, NULL);
}

static gboolean
time_param (GHashTable  *params,
            const char  *name,
            gint64      *out,
            GError     **error)
{
  const char *value = param (params, name);

  *out = 0;
  if (value == NULL)
    return TRUE;
  if (!fq_time_parse (value, out))
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, name,
                          "%s: not a W3C (ISO 8601) date and time with its offset", name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
uint_param (GHashTable  *params,
            const char  *name,
            guint        min,
            guint        max,
            guint        fallback,
            guint       *out,
            GError     **error)
{
  const char *value = param (params, name);
  guint64 number;

  *out = fallback;
  if (value == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (value, 10, min, max, &number, NULL))
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, name,
                          "%s: must be a whole number from %u to %u", name, min, max);
      return FALSE;
    }
  *out = (guint)number;
  return TRUE;
}

/* The category behind an offered service, or NULL (unknown or police-only:
 * matters for the police do not come in through other systems). */
static const FqCategoryInfo *
lookup_service (FqRefData  *ref,
                const char *code)
{
  const FqCategoryInfo *category = code != NULL ? fq_refdata_get_category (ref, code) : NULL;

  if (category == NULL || category->police_only)
    return NULL;
  return category;
}

/* "X.json" → "X" (transfer full), or NULL for another format. */
static char *
strip_format (const char *segment)
{
  if (!g_str_has_suffix (segment, ".json") || strlen (segment) <= 5)
    return NULL;
  return g_strndup (segment, strlen (segment) - 5);
}

/* ---- discovery and services (reference data only: main thread) ---- */

static void
add_string_or_null (JsonBuilder *builder,
                    const char  *name,
                    const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
respond_discovery (FqRequest *request)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  const char *host = fq_request_get_header (request, "Host");
  gboolean tls = fq_server_get_config (fq_request_get_server (request))->tls_cert != NULL;
  g_autofree char *url = g_strdup_printf ("%s://%s" FQ_OPEN311_PREFIX, tls ? "https" : "http",
                                          host != NULL ? host : "localhost");

  json_builder_begin_object (builder);
  add_string_or_null (builder, "changeset", CHANGESET);
  add_string_or_null (builder, "contact",
                      "The administrator of this Fengqiao server (矛盾纠纷多元化解中心)");
  add_string_or_null (builder, "key_service",
                      "Keys are issued per client system by the administrator "
                      "(POST /api/v1/open311_keys)");
  json_builder_set_member_name (builder, "endpoints");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  add_string_or_null (builder, "specification", "http://wiki.open311.org/GeoReport_v2");
  add_string_or_null (builder, "url", url);
  add_string_or_null (builder, "changeset", CHANGESET);
  add_string_or_null (builder, "type", "production");
  json_builder_set_member_name (builder, "formats");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "application/json");
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  fq_request_respond (request, SOUP_STATUS_OK, json_builder_get_root (builder));
}

static const char *
group_name (FqRefData  *ref,
            const char *code)
{
  GPtrArray *groups = fq_refdata_get_groups (ref);

  for (guint i = 0; i < groups->len; i++)
    {
      const FqCategoryGroupInfo *group = g_ptr_array_index (groups, i);

      if (g_strcmp0 (group->code, code) == 0)
        return group->name;
    }
  return code;
}

static void
respond_services (FqRequest *request)
{
  FqRefData *ref = fq_server_get_refdata (fq_request_get_server (request));
  GPtrArray *categories = fq_refdata_get_categories (ref);
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < categories->len; i++)
    {
      const FqCategoryInfo *category = g_ptr_array_index (categories, i);
      g_autofree char *keywords = NULL;

      if (category->police_only)
        continue;
      keywords = g_strjoinv (",", category->keywords);
      json_builder_begin_object (builder);
      add_string_or_null (builder, "service_code", category->code);
      add_string_or_null (builder, "service_name", category->name);
      add_string_or_null (builder, "description",
                          category->name_en != NULL ? category->name_en : category->name);
      json_builder_set_member_name (builder, "metadata");
      json_builder_add_boolean_value (builder, TRUE);
      add_string_or_null (builder, "type", "realtime");
      add_string_or_null (builder, "keywords", keywords);
      add_string_or_null (builder, "group", group_name (ref, category->group));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  fq_request_respond (request, SOUP_STATUS_OK, json_builder_get_root (builder));
}

static void
respond_service_definition (FqRequest  *request,
                            const char *code)
{
  FqRefData *ref = fq_server_get_refdata (fq_request_get_server (request));
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *message = NULL;

  if (lookup_service (ref, code) == NULL)
    {
      message = g_strdup_printf ("service_code %s not found", code);
      fq_open311_respond_error (request, SOUP_STATUS_NOT_FOUND, message);
      return;
    }

  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  add_string_or_null (builder, "service_code", code);
  json_builder_set_member_name (builder, "attributes");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "variable");
  json_builder_add_boolean_value (builder, TRUE);
  add_string_or_null (builder, "code", "grid");
  add_string_or_null (builder, "datatype", "string");
  json_builder_set_member_name (builder, "required");
  json_builder_add_boolean_value (builder, FALSE);
  add_string_or_null (builder, "datatype_description",
                      "The 12-digit official division code of the grid, community or street "
                      "(统计用区划代码); without it the centre places the request");
  json_builder_set_member_name (builder, "order");
  json_builder_add_int_value (builder, 1);
  add_string_or_null (builder, "description", "网格 / 社区区划代码 (grid division code)");
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  fq_request_respond (request, SOUP_STATUS_OK, json_builder_get_root (builder));
}

/* ---- POST requests.json ---- */

typedef struct
{
  char       *key_hash;
  char       *service_code;
  JsonObject *incident;      /* the POST /incidents body */
  double      lat;
  double      lon;
  gboolean    has_location;
  char       *address_id;
  char       *email;
  char       *device_id;
  char       *account_id;
  char       *media_url;
} NewRequest;

static void
new_request_free (NewRequest *data)
{
  g_free (data->key_hash);
  g_free (data->service_code);
  g_clear_pointer (&data->incident, json_object_unref);
  g_free (data->address_id);
  g_free (data->email);
  g_free (data->device_id);
  g_free (data->account_id);
  g_free (data->media_url);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NewRequest, new_request_free)

static char *
random_token (void)
{
  guchar bytes[KEY_BYTES];
  char text[sodium_base64_ENCODED_LEN (KEY_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2base64 (text, sizeof text, bytes, sizeof bytes,
                     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero (bytes, sizeof bytes);
  return g_strdup (text);
}

static gboolean
check_length (const char  *name,
              const char  *value,
              guint        max_chars,
              GError     **error)
{
  if (value != NULL && g_utf8_strlen (value, -1) > max_chars)
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, name,
                          "%s: longer than %u characters", name, max_chars);
      return FALSE;
    }
  return TRUE;
}

static gboolean
coordinate (GHashTable  *params,
            const char  *name,
            double       limit,
            double      *out,
            gboolean    *present,
            GError     **error)
{
  const char *value = param (params, name);
  char *end = NULL;

  *present = value != NULL;
  if (value == NULL)
    return TRUE;
  *out = g_ascii_strtod (value, &end);
  if (end == value || *end != '\0' || !(*out >= -limit && *out <= limit))
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, name,
                          "%s: not a WGS84 coordinate", name);
      return FALSE;
    }
  return TRUE;
}

/* Checks the parameters of a new request on the main thread (reference
 * data only) and turns them into the body of POST /incidents. */
static NewRequest *
parse_new_request (FqRequest   *request,
                   GHashTable  *params,
                   guint       *status,
                   GError     **error)
{
  FqRefData *ref = fq_server_get_refdata (fq_request_get_server (request));
  g_autoptr(NewRequest) data = g_new0 (NewRequest, 1);
  const FqCategoryInfo *category;
  const char *api_key = param (params, "api_key");
  const char *code = param (params, "service_code");
  const char *description = param (params, "description");
  const char *address = param (params, "address_string");
  const char *grid = param (params, "attribute[grid]");
  const char *first = param (params, "first_name");
  const char *last = param (params, "last_name");
  const char *phone = param (params, "phone");
  g_autofree char *summary = NULL;
  double lat = 0, lon = 0;
  gboolean has_lat = FALSE, has_lon = FALSE;

  *status = SOUP_STATUS_BAD_REQUEST;
  if (api_key == NULL)
    {
      g_set_error_literal (error, FQ_ERROR, FQ_ERROR_BAD_REQUEST, "api_key was not provided");
      return NULL;
    }
  if (code == NULL)
    {
      g_set_error_literal (error, FQ_ERROR, FQ_ERROR_BAD_REQUEST, "service_code was not provided");
      return NULL;
    }
  category = lookup_service (ref, code);
  if (category == NULL)
    {
      *status = SOUP_STATUS_NOT_FOUND;
      g_set_error (error, FQ_ERROR, FQ_ERROR_NOT_FOUND, "service_code %s not found", code);
      return NULL;
    }
  if (!coordinate (params, "lat", 90, &lat, &has_lat, error) ||
      !coordinate (params, "long", 180, &lon, &has_lon, error))
    return NULL;
  if (has_lat != has_lon)
    {
      g_set_error_literal (error, FQ_ERROR, FQ_ERROR_BAD_REQUEST,
                           "lat and long must be given together");
      return NULL;
    }
  data->address_id = g_strdup (param (params, "address_id"));
  if (!has_lat && address == NULL && data->address_id == NULL)
    {
      g_set_error_literal (error, FQ_ERROR, FQ_ERROR_BAD_REQUEST,
                           "a location is required: lat and long, address_string or address_id");
      return NULL;
    }
  if (description == NULL && param (params, "media_url") == NULL)
    {
      g_set_error_literal (error, FQ_ERROR, FQ_ERROR_BAD_REQUEST,
                           "description was not provided");
      return NULL;
    }
  data->email = g_strdup (param (params, "email"));
  data->device_id = g_strdup (param (params, "device_id"));
  data->account_id = g_strdup (param (params, "account_id"));
  data->media_url = g_strdup (param (params, "media_url"));
  if (!check_length ("api_key", api_key, 200, error) ||
      !check_length ("address_id", data->address_id, 100, error) ||
      !check_length ("email", data->email, 200, error) ||
      !check_length ("device_id", data->device_id, 100, error) ||
      !check_length ("account_id", data->account_id, 100, error) ||
      !check_length ("media_url", data->media_url, 1000, error))
    return NULL;

  data->key_hash = fq_auth_token_hash (api_key);
  data->service_code = g_strdup (code);
  data->lat = lat;
  data->lon = lon;
  data->has_location = has_lat;

  /* The summary an operator reads in the queue: the first words of the
   * description, or the service's name. */
  if (description != NULL)
    {
      summary = g_utf8_substring (description, 0, MIN (g_utf8_strlen (description, -1),
                                                      SUMMARY_CHARS));
      g_strdelimit (summary, "\r\n\t", ' ');
    }
  else
    summary = g_strdup (category->name);

  data->incident = json_object_new ();
  json_object_set_string_member (data->incident, "source", "open311");
  json_object_set_string_member (data->incident, "summary", summary);
  if (description != NULL)
    json_object_set_string_member (data->incident, "description", description);
  json_object_set_string_member (data->incident, "category", code);
  /* Without a grid the request is placed at the root; the operator sets
   * the place at triage. */
  json_object_set_string_member (data->incident, "grid",
                                 grid != NULL ? grid : fq_refdata_get_root (ref)->code);
  if (address != NULL)
    json_object_set_string_member (data->incident, "address", address);
  if (first != NULL || last != NULL)
    {
      g_autofree char *name = g_strconcat (last != NULL ? last : "", first != NULL ? first : "",
                                           NULL);

      json_object_set_string_member (data->incident, "caller_name", name);
    }
  if (phone != NULL)
    json_object_set_string_member (data->incident, "caller_phone", phone);

  return g_steal_pointer (&data);
}

static gboolean
lookup_key (FqJob       *job,
            const char  *hash,
            gint64      *id,
            char       **name,
            GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  *id = 0;
  *name = NULL;
  stmt = fq_job_prepare (job, "SELECT id, name FROM open311_keys WHERE hash = ? AND revoked_at IS NULL",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *id = sqlite3_column_int64 (stmt, 0);
      *name = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_ROW || fq_job_check_sqlite (job, rc, error);
}

static void
bind_text_or_null (sqlite3_stmt *stmt,
                   int           index,
                   const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static gboolean
create_request_job (FqJob     *job,
                    gpointer   user_data,
                    GError   **error)
{
  NewRequest *data = user_data;
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  g_autoptr(FqIncident) incident = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *key_name = NULL;
  g_autofree char *token = NULL;
  g_autofree char *detail = NULL;
  gboolean existed = FALSE;
  sqlite3_stmt *stmt;
  gint64 key_id = 0;
  int rc;

  if (!lookup_key (job, data->key_hash, &key_id, &key_name, error))
    return FALSE;
  if (key_id == 0)
    {
      fq_job_respond (job, SOUP_STATUS_FORBIDDEN,
                      error_array (SOUP_STATUS_FORBIDDEN, "api_key is invalid or revoked"));
      return TRUE;
    }

  incident = fq_incident_create (job, db, data->incident, &existed, &local_error);
  if (incident == NULL)
    return job_respond_error (job, local_error);

  token = random_token ();
  stmt = fq_job_prepare (job,
                         "INSERT INTO open311_requests (incident, token, key_id, service_code,"
                         " lat, long, address_id, email, device_id, account_id, media_url,"
                         " requested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, incident->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, token, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, key_id);
  sqlite3_bind_text (stmt, 4, data->service_code, -1, SQLITE_STATIC);
  if (data->has_location)
    {
      sqlite3_bind_double (stmt, 5, data->lat);
      sqlite3_bind_double (stmt, 6, data->lon);
    }
  bind_text_or_null (stmt, 7, data->address_id);
  bind_text_or_null (stmt, 8, data->email);
  bind_text_or_null (stmt, 9, data->device_id);
  bind_text_or_null (stmt, 10, data->account_id);
  bind_text_or_null (stmt, 11, data->media_url);
  sqlite3_bind_int64 (stmt, 12, incident->received_at);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (!fq_job_check_sqlite (job, rc, error))
    return FALSE;

  detail = g_strdup_printf ("created through Open311 with the key \"%s\" (%" G_GINT64_FORMAT ")",
                            key_name, key_id);
  fq_job_set_audit (job, "incident", incident->id, detail);

  builder = json_builder_new_immutable ();
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  add_string_or_null (builder, "service_request_id", incident->id);
  add_string_or_null (builder, "token", token);
  add_string_or_null (builder, "service_notice",
                      "已受理，等待分拨；处理进度可按编号查询 (received; it will be assigned to "
                      "the responsible unit)");
  add_string_or_null (builder, "account_id", data->account_id);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  fq_job_respond (job, SOUP_STATUS_OK, json_builder_get_root (builder));
  return TRUE;
}

static void
post_request (FqRequest  *request,
              GHashTable *params)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *description = NULL;
  NewRequest *data;
  guint status;

  data = parse_new_request (request, params, &status, &error);
  if (data == NULL)
    {
      description = error_description (error);
      fq_open311_respond_error (request, status, description);
      return;
    }
  fq_request_run (request, FQ_JOB_WRITE, create_request_job, data,
                  (GDestroyNotify)new_request_free);
}

/* ---- reading requests ---- */

/* The request's status in the specification's two words, and what the
 * caller is told about it, from the incident and its ticket. */
#define REQUEST_SELECT \
  "SELECT i.id, i.category, i.address, i.description, i.summary, i.decision, i.received_at," \
  " i.updated_at, o.service_code, o.lat, o.long, o.address_id, o.media_url, o.token," \
  " t.state, t.lead_unit, t.deadline, t.updated_at," \
  " CASE WHEN t.state = 'closed' OR (t.id IS NULL AND i.decision IN ('police', 'on_scene'," \
  "  'mediate')) THEN 'closed' ELSE 'open' END AS status" \
  " FROM open311_requests o JOIN incidents i ON i.id = o.incident" \
  " LEFT JOIN tickets t ON t.id = i.ticket"

static const char *
status_note (const char *decision,
             const char *state)
{
  if (state != NULL)
    {
      if (strcmp (state, "dispatched") == 0)
        return "已派单至责任单位，等待签收";
      if (strcmp (state, "accepted") == 0)
        return "责任单位已签收，正在办理";
      if (strcmp (state, "resolved") == 0)
        return "责任单位已办结，等待回访确认";
      if (strcmp (state, "closed") == 0)
        return "已办结";
      if (strcmp (state, "returned") == 0)
        return "正在重新确定责任单位";
    }
  if (g_strcmp0 (decision, "police") == 0)
    return "已移交公安机关处理";
  if (g_strcmp0 (decision, "on_scene") == 0)
    return "已现场处置完毕";
  if (g_strcmp0 (decision, "mediate") == 0)
    return "已由调解组织受理调解";
  return "已收到，等待分拨";
}

static const char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return (const char *)sqlite3_column_text (stmt, column);
}

static void
add_time_or_null (JsonBuilder *builder,
                  const char  *name,
                  gint64       at)
{
  json_builder_set_member_name (builder, name);
  if (at > 0)
    {
      char text[FQ_TIME_TEXT_SIZE];

      fq_entities_format_time (at, text);
      json_builder_add_string_value (builder, text);
    }
  else
    json_builder_add_null_value (builder);
}

static void
add_request (JsonBuilder  *builder,
             FqRefData    *ref,
             sqlite3_stmt *stmt)
{
  const char *category = column_text (stmt, 1);
  const char *service_code = column_text (stmt, 8);
  const FqCategoryInfo *info = fq_refdata_get_category (ref, category != NULL ? category
                                                                              : service_code);
  const char *lead_unit = column_text (stmt, 15);
  const FqUnitInfo *unit = lead_unit != NULL ? fq_refdata_get_unit (ref, lead_unit) : NULL;
  const char *description = column_text (stmt, 3);
  gint64 updated = MAX (sqlite3_column_int64 (stmt, 7), sqlite3_column_int64 (stmt, 17));

  json_builder_begin_object (builder);
  add_string_or_null (builder, "service_request_id", column_text (stmt, 0));
  add_string_or_null (builder, "status", column_text (stmt, 18));
  add_string_or_null (builder, "status_notes", status_note (column_text (stmt, 5),
                                                            column_text (stmt, 14)));
  add_string_or_null (builder, "service_name", info != NULL ? info->name : NULL);
  add_string_or_null (builder, "service_code", info != NULL ? info->code : service_code);
  add_string_or_null (builder, "description",
                      description != NULL ? description : column_text (stmt, 4));
  add_string_or_null (builder, "agency_responsible", unit != NULL ? unit->name : NULL);
  add_string_or_null (builder, "service_notice", NULL);
  add_time_or_null (builder, "requested_datetime", sqlite3_column_int64 (stmt, 6));
  add_time_or_null (builder, "updated_datetime", updated);
  add_time_or_null (builder, "expected_datetime", sqlite3_column_int64 (stmt, 16));
  add_string_or_null (builder, "address", column_text (stmt, 2));
  add_string_or_null (builder, "address_id", column_text (stmt, 11));
  add_string_or_null (builder, "zipcode", NULL);
  json_builder_set_member_name (builder, "lat");
  if (sqlite3_column_type (stmt, 9) != SQLITE_NULL)
    json_builder_add_double_value (builder, sqlite3_column_double (stmt, 9));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "long");
  if (sqlite3_column_type (stmt, 10) != SQLITE_NULL)
    json_builder_add_double_value (builder, sqlite3_column_double (stmt, 10));
  else
    json_builder_add_null_value (builder);
  add_string_or_null (builder, "media_url", column_text (stmt, 12));
  json_builder_end_object (builder);
}

typedef struct
{
  char   *ids;       /* JSON array text or NULL */
  char   *codes;
  char   *statuses;
  gint64  start;
  gint64  end;
  guint   page;
  guint   page_size;
  char   *one;       /* requests/{id}.json */
  char   *token;     /* tokens/{token}.json */
} Query;

static void
query_free (Query *query)
{
  g_free (query->ids);
  g_free (query->codes);
  g_free (query->statuses);
  g_free (query->one);
  g_free (query->token);
  g_free (query);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Query, query_free)

static gboolean
list_requests_job (FqJob     *job,
                   gpointer   user_data,
                   GError   **error)
{
  Query *query = user_data;
  FqRefData *ref = fq_job_get_refdata (job);
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  sqlite3_stmt *stmt;
  guint n = 0;
  int rc;

  stmt = fq_job_prepare (job,
                         "SELECT * FROM (" REQUEST_SELECT ")"
                         " WHERE (?1 IS NULL OR id IN (SELECT value FROM json_each (?1)))"
                         "   AND (?1 IS NOT NULL OR ("
                         "        (?2 IS NULL OR service_code IN (SELECT value FROM json_each (?2))"
                         "                    OR category IN (SELECT value FROM json_each (?2)))"
                         "    AND (?3 IS NULL OR status IN (SELECT value FROM json_each (?3)))"
                         "    AND received_at >= ?4 AND received_at < ?5))"
                         " ORDER BY received_at DESC, id DESC LIMIT ?6 OFFSET ?7",
                         error);
  if (stmt == NULL)
    return FALSE;
  bind_text_or_null (stmt, 1, query->ids);
  bind_text_or_null (stmt, 2, query->codes);
  bind_text_or_null (stmt, 3, query->statuses);
  sqlite3_bind_int64 (stmt, 4, query->start);
  sqlite3_bind_int64 (stmt, 5, query->end);
  sqlite3_bind_int (stmt, 6, query->page_size);
  sqlite3_bind_int64 (stmt, 7, (gint64)(query->page - 1) * query->page_size);

  json_builder_begin_array (builder);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      add_request (builder, ref, stmt);
      n++;
    }
  sqlite3_reset (stmt);
  if (!fq_job_check_sqlite (job, rc, error))
    return FALSE;
  json_builder_end_array (builder);

  if (query->one != NULL && n == 0)
    {
      g_autofree char *message = g_strdup_printf ("service_request_id %s not found", query->one);

      fq_job_respond (job, SOUP_STATUS_NOT_FOUND, error_array (SOUP_STATUS_NOT_FOUND, message));
      return TRUE;
    }
  /* Anyone may read these: numbers typed into a description are masked
   * (fq-privacy.c). */
  fq_job_respond (job, SOUP_STATUS_OK, fq_privacy_mask_public_node (json_builder_get_root (builder)));
  return TRUE;
}

static void
get_requests (FqRequest  *request,
              GHashTable *params,
              const char *one)
{
  g_autoptr(Query) query = g_new0 (Query, 1);
  g_autoptr(GError) error = NULL;
  gint64 now = fq_server_now (fq_request_get_server (request));

  if (one != NULL)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
      g_autoptr(JsonNode) root = NULL;

      query->one = g_strdup (one);
      json_builder_begin_array (builder);
      json_builder_add_string_value (builder, one);
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      query->ids = fq_json_to_string (root, NULL);
      query->page = 1;
      query->page_size = 1;
      query->end = G_MAXINT64;
    }
  else
    {
      g_autofree char *description = NULL;

      query->ids = list_param (params, "service_request_id");
      query->codes = list_param (params, "service_code");
      query->statuses = list_param (params, "status");
      if (!time_param (params, "start_date", &query->start, &error) ||
          !time_param (params, "end_date", &query->end, &error) ||
          !uint_param (params, "page", 1, G_MAXINT32, 1, &query->page, &error) ||
          !uint_param (params, "page_size", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE,
                       &query->page_size, &error))
        {
          description = error_description (error);
          fq_open311_respond_error (request, SOUP_STATUS_BAD_REQUEST, description);
          return;
        }
      /* The specification's default: the last 90 days. */
      if (query->end == 0)
        query->end = query->start > 0 ? G_MAXINT64 : now + 1;
      if (query->start == 0 && param (params, "end_date") == NULL)
        query->start = now - DEFAULT_DAYS * 24 * 3600;
      if (query->statuses != NULL && !g_str_equal (query->statuses, "[\"open\"]") &&
          !g_str_equal (query->statuses, "[\"closed\"]") &&
          !g_str_equal (query->statuses, "[\"open\",\"closed\"]") &&
          !g_str_equal (query->statuses, "[\"closed\",\"open\"]"))
        {
          fq_open311_respond_error (request, SOUP_STATUS_BAD_REQUEST,
                                    "status: must be open, closed or both");
          return;
        }
    }

  fq_request_run (request, FQ_JOB_READ, list_requests_job, g_steal_pointer (&query),
                  (GDestroyNotify)query_free);
}

static gboolean
token_job (FqJob     *job,
           gpointer   user_data,
           GError   **error)
{
  Query *query = user_data;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *id = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = fq_job_prepare (job, "SELECT incident FROM open311_requests WHERE token = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, query->token, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    id = g_strdup (column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && !fq_job_check_sqlite (job, rc, error))
    return FALSE;

  if (id == NULL)
    {
      fq_job_respond (job, SOUP_STATUS_NOT_FOUND,
                      error_array (SOUP_STATUS_NOT_FOUND, "token not found"));
      return TRUE;
    }

  builder = json_builder_new_immutable ();
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  add_string_or_null (builder, "service_request_id", id);
  add_string_or_null (builder, "token", query->token);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  fq_job_respond (job, SOUP_STATUS_OK, json_builder_get_root (builder));
  return TRUE;
}

/* ---- servicerequestupdates.json ---- */

/* The public steps of a ticket's life, each an update of every Open311
 * request attached to it from the time the request joined; and the
 * triage decisions that close a request without a ticket. */
#define UPDATES_SELECT \
  "SELECT 'E' || e.id || '-' || i.id AS update_id, i.id, e.at, e.kind, e.unit" \
  " FROM open311_requests o JOIN incidents i ON i.id = o.incident" \
  " JOIN events e ON e.ticket = i.ticket" \
  " WHERE e.at >= ?1 AND e.at < ?2 AND e.at >= i.received_at" \
  "   AND e.kind IN ('dispatched', 'accepted', 'returned', 'redispatched', 'resolved'," \
  "                  'resolution_rejected', 'closed', 'reopened', 'escalated', 'merged')" \
  " UNION ALL" \
  " SELECT i.id || '-triage', i.id, i.triaged_at, i.decision, NULL" \
  " FROM open311_requests o JOIN incidents i ON i.id = o.incident" \
  " WHERE i.decision IN ('police', 'on_scene', 'mediate')" \
  "   AND i.triaged_at >= ?1 AND i.triaged_at < ?2"

static const char *
update_description (const char *kind)
{
  static const struct { const char *kind; const char *text; } texts[] = {
    { "dispatched", "已派单至责任单位" },
    { "accepted", "责任单位已签收" },
    { "returned", "责任单位退回，正在重新确定责任单位" },
    { "redispatched", "已改派责任单位" },
    { "resolved", "责任单位已办结，等待回访确认" },
    { "resolution_rejected", "办理结果未通过审核，继续办理" },
    { "closed", "已办结" },
    { "reopened", "已重新办理" },
    { "escalated", "已提级办理" },
    { "merged", "与同一事项的其他诉求合并办理" },
    { "police", "已移交公安机关处理" },
    { "on_scene", "已现场处置完毕" },
    { "mediate", "已由调解组织受理调解" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    if (g_strcmp0 (kind, texts[i].kind) == 0)
      return texts[i].text;
  return kind;
}

static gboolean
updates_job (FqJob     *job,
             gpointer   user_data,
             GError   **error)
{
  Query *query = user_data;
  FqRefData *ref = fq_job_get_refdata (job);
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  sqlite3_stmt *stmt;
  int rc;

  stmt = fq_job_prepare (job,
                         "SELECT * FROM (" UPDATES_SELECT ")"
                         " ORDER BY 3, 1 LIMIT ?3 OFFSET ?4",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, query->start);
  sqlite3_bind_int64 (stmt, 2, query->end);
  sqlite3_bind_int (stmt, 3, query->page_size);
  sqlite3_bind_int64 (stmt, 4, (gint64)(query->page - 1) * query->page_size);

  json_builder_begin_array (builder);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *kind = column_text (stmt, 3);
      const char *unit_id = column_text (stmt, 4);
      const FqUnitInfo *unit = unit_id != NULL ? fq_refdata_get_unit (ref, unit_id) : NULL;
      gboolean closed = g_strcmp0 (kind, "closed") == 0 || g_strcmp0 (kind, "police") == 0 ||
                        g_strcmp0 (kind, "on_scene") == 0 || g_strcmp0 (kind, "mediate") == 0;
      g_autofree char *description = NULL;

      if (unit != NULL && (g_strcmp0 (kind, "dispatched") == 0 ||
                           g_strcmp0 (kind, "redispatched") == 0 ||
                           g_strcmp0 (kind, "accepted") == 0))
        description = g_strdup_printf ("%s：%s", update_description (kind), unit->name);
      else
        description = g_strdup (update_description (kind));

      json_builder_begin_object (builder);
      add_string_or_null (builder, "update_id", column_text (stmt, 0));
      add_string_or_null (builder, "service_request_id", column_text (stmt, 1));
      add_string_or_null (builder, "status", closed ? "closed" : "open");
      add_time_or_null (builder, "updated_datetime", sqlite3_column_int64 (stmt, 2));
      add_string_or_null (builder, "description", description);
      add_string_or_null (builder, "media_url", NULL);
      json_builder_end_object (builder);
    }
  sqlite3_reset (stmt);
  if (!fq_job_check_sqlite (job, rc, error))
    return FALSE;
  json_builder_end_array (builder);

  fq_job_respond (job, SOUP_STATUS_OK, json_builder_get_root (builder));
  return TRUE;
}

static void
get_updates (FqRequest  *request,
             GHashTable *params)
{
  g_autoptr(Query) query = g_new0 (Query, 1);
  g_autoptr(GError) error = NULL;
  gint64 now = fq_server_now (fq_request_get_server (request));

  if (!time_param (params, "start_date", &query->start, &error) ||
      !time_param (params, "end_date", &query->end, &error) ||
      !uint_param (params, "page", 1, G_MAXINT32, 1, &query->page, &error) ||
      !uint_param (params, "page_size", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE,
                   &query->page_size, &error))
    {
      g_autofree char *description = error_description (error);

      fq_open311_respond_error (request, SOUP_STATUS_BAD_REQUEST, description);
      return;
    }
  /* Without a start: the last day, as feeds are polled. */
  if (query->end == 0)
    query->end = now + 1;
  if (query->start == 0)
    query->start = query->end - 24 * 3600;

  fq_request_run (request, FQ_JOB_READ, updates_job, g_steal_pointer (&query),
                  (GDestroyNotify)query_free);
}

/* ---- routing of the tree ---- */

static gboolean
require_method (FqRequest  *request,
                const char *allowed)
{
  g_auto(GStrv) methods = g_strsplit (allowed, ", ", -1);

  if (g_strv_contains ((const char * const *)methods, fq_request_get_method (request)))
    return TRUE;
  fq_open311_respond_error (request, SOUP_STATUS_METHOD_NOT_ALLOWED,
                            "this method is not allowed on this resource");
  return FALSE;
}

/* Answers @request with the parameters its body gave (taken), or @error. */
static void
handle_params (FqRequest    *request,
               GHashTable   *body,
               const GError *error)
{
  g_autoptr(GHashTable) params = body;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  const char *s0 = fq_request_get_segment (request, 0);
  const char *s1 = fq_request_get_segment (request, 1);

  if (params == NULL)
    {
      g_autofree char *description = error_description (error);

      fq_open311_respond_error (request, error_status (error), description);
      return;
    }
  add_query_params (request, params);

  if (s1 == NULL)
    {
      first = strip_format (s0);
      if (first == NULL)
        {
          fq_open311_respond_error (request, g_str_has_suffix (s0, ".xml") ? 400 : 404,
                                    g_str_has_suffix (s0, ".xml")
                                      ? "only the JSON format is served: use .json"
                                      : "no such resource");
          return;
        }
      if (strcmp (first, "discovery") == 0 && require_method (request, "GET"))
        respond_discovery (request);
      else if (strcmp (first, "services") == 0 && require_method (request, "GET"))
        respond_services (request);
      else if (strcmp (first, "requests") == 0 && require_method (request, "GET, POST"))
        {
          if (strcmp (fq_request_get_method (request), "POST") == 0)
            post_request (request, params);
          else
            get_requests (request, params, NULL);
        }
      else if (strcmp (first, "servicerequestupdates") == 0 && require_method (request, "GET"))
        get_updates (request, params);
      else if (strcmp (first, "discovery") != 0 && strcmp (first, "services") != 0 &&
               strcmp (first, "requests") != 0 && strcmp (first, "servicerequestupdates") != 0)
        fq_open311_respond_error (request, SOUP_STATUS_NOT_FOUND, "no such resource");
      return;
    }

  second = strip_format (s1);
  if (second == NULL)
    {
      fq_open311_respond_error (request, g_str_has_suffix (s1, ".xml") ? 400 : 404,
                                g_str_has_suffix (s1, ".xml")
                                  ? "only the JSON format is served: use .json"
                                  : "no such resource");
      return;
    }
  if (strcmp (s0, "services") == 0)
    {
      if (require_method (request, "GET"))
        respond_service_definition (request, second);
    }
  else if (strcmp (s0, "requests") == 0)
    {
      if (require_method (request, "GET"))
        get_requests (request, params, second);
    }
  else if (strcmp (s0, "tokens") == 0)
    {
      if (require_method (request, "GET"))
        {
          Query *query = g_new0 (Query, 1);

          query->token = g_strdup (second);
          fq_request_run (request, FQ_JOB_READ, token_job, query, (GDestroyNotify)query_free);
        }
    }
  else
    fq_open311_respond_error (request, SOUP_STATUS_NOT_FOUND, "no such resource");
}

/* A large body, parsed by a reader. */
typedef struct
{
  FqRequest  *request;
  char       *content_type;
  FqBody     *body;    /* freed by the reader once parsed */
  GHashTable *params;
  GError     *error;
} BodyJob;

static gboolean
body_job (FqJob     *job,
          gpointer   user_data,
          GError   **error)
{
  BodyJob *parse = user_data;
  g_autoptr(GBytes) bytes = fq_body_free_to_bytes (g_steal_pointer (&parse->body));

  parse->params = body_params (parse->content_type, bytes, &parse->error);
  return TRUE;
}

static void
body_job_done (FqJob    *job,
               gpointer  user_data)
{
  BodyJob *parse = user_data;
  const GError *stopped = fq_job_get_error (job);

  /* The job did not run: the server is stopping. */
  if (stopped != NULL)
    handle_params (parse->request, NULL, stopped);
  else
    handle_params (parse->request, g_steal_pointer (&parse->params), parse->error);
}

static void
body_job_free (gpointer data)
{
  BodyJob *parse = data;

  fq_request_unref (parse->request);
  g_free (parse->content_type);
  g_clear_pointer (&parse->body, fq_body_free);
  g_clear_pointer (&parse->params, g_hash_table_unref);
  g_clear_error (&parse->error);
  g_free (parse);
}

void
fq_open311_handle (FqRequest *request,
                   FqBody    *body)
{
  g_autoptr(FqBody) owned = body;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  const char *content_type = fq_request_get_header (request, "Content-Type");
  GHashTable *params;

  if (fq_request_get_segment (request, 0) == NULL || fq_request_get_segment (request, 2) != NULL)
    {
      fq_open311_respond_error (request, SOUP_STATUS_NOT_FOUND, "no such resource");
      return;
    }

  if (fq_body_get_size (body) > FQ_JSON_MAX_BODY)
    {
      fq_open311_respond_error (request, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                                FQ_OPEN311_TOO_LARGE);
      return;
    }

  /* As for /api/v1 (fq-server.c): a large body is parsed by a reader, and
   * the request answered once it is. */
  if (fq_body_get_size (body) > FQ_SERVER_INLINE_BODY_MAX)
    {
      BodyJob *parse = g_new0 (BodyJob, 1);

      parse->request = fq_request_ref (request);
      parse->content_type = g_strdup (content_type);
      parse->body = g_steal_pointer (&owned);
      fq_request_pause (request);
      fq_server_run_job (fq_request_get_server (request), FQ_JOB_READ, NULL, body_job, parse,
                         body_job_free, body_job_done, parse);
      return;
    }

  bytes = fq_body_free_to_bytes (g_steal_pointer (&owned));
  params = body_params (content_type, bytes, &error);
  handle_params (request, params, error);
}

/* ---- /api/v1/open311_keys (admin) ---- */

static void
add_key (JsonBuilder  *builder,
         sqlite3_stmt *stmt)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, column_text (stmt, 0));
  add_string_or_null (builder, "name", column_text (stmt, 1));
  add_time_or_null (builder, "created_at", sqlite3_column_int64 (stmt, 2));
  add_time_or_null (builder, "revoked_at", sqlite3_column_int64 (stmt, 3));
  json_builder_end_object (builder);
}

typedef struct
{
  char *name;
  char *key;
  char *hash;
} NewKey;

static void
new_key_free (NewKey *data)
{
  g_free (data->name);
  if (data->key != NULL)
    sodium_memzero (data->key, strlen (data->key));
  g_free (data->key);
  g_free (data->hash);
  g_free (data);
}

static gboolean
create_key_job (FqJob     *job,
                gpointer   user_data,
                GError   **error)
{
  NewKey *data = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autofree char *id = NULL;
  g_autofree char *detail = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = fq_job_prepare (job,
                         "INSERT INTO open311_keys (name, hash, created_at, created_by)"
                         " VALUES (?, ?, ?, ?)",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, data->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, data->hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, fq_job_now (job));
  sqlite3_bind_text (stmt, 4, fq_job_get_user (job)->username, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (!fq_job_check_sqlite (job, rc, error))
    return FALSE;

  id = g_strdup_printf ("%" G_GINT64_FORMAT,
                        (gint64)sqlite3_last_insert_rowid (fq_job_get_db (job)));
  detail = g_strdup_printf ("issued the Open311 key \"%s\"", data->name);
  fq_job_set_audit (job, "open311_key", id, detail);

  json_builder_begin_object (builder);
  add_string_or_null (builder, "id", id);
  add_string_or_null (builder, "name", data->name);
  add_string_or_null (builder, "api_key", data->key);
  json_builder_end_object (builder);
  fq_job_respond (job, SOUP_STATUS_CREATED, json_builder_get_root (builder));
  return TRUE;
}

static void
keys_create (FqRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FqUser) admin = NULL;
  NewKey *data;
  char *name = NULL;

  if (!fq_request_require_role (request, FQ_ROLE_BIT (FQ_ROLE_ADMIN)))
    return;
  if (!fq_json_get_string (fq_request_get_body (request), "name", TRUE, FQ_MAX_NAME_CHARS,
                           &name, &error))
    {
      fq_request_respond_error (request, error);
      return;
    }
  g_strstrip (name);
  if (*name == '\0')
    {
      g_free (name);
      fq_set_field_error (&error, FQ_ERROR_INVALID_FIELD, "name", "must not be empty");
      fq_request_respond_error (request, error);
      return;
    }

  data = g_new0 (NewKey, 1);
  data->name = name;
  data->key = random_token ();
  data->hash = fq_auth_token_hash (data->key);
  /* The answer holds the key itself: it must not be kept for a replay
   * (the same as at sign-in). */
  admin = fq_user_copy (fq_request_get_user (request));
  fq_request_set_login_user (request, admin);
  fq_request_run (request, FQ_JOB_WRITE, create_key_job, data, (GDestroyNotify)new_key_free);
}

static gboolean
list_keys_job (FqJob     *job,
               gpointer   user_data,
               GError   **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  sqlite3_stmt *stmt;
  int rc;

  stmt = fq_job_prepare (job,
                         "SELECT id, name, created_at, revoked_at FROM open311_keys ORDER BY id",
                         error);
  if (stmt == NULL)
    return FALSE;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "keys");
  json_builder_begin_array (builder);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    add_key (builder, stmt);
  sqlite3_reset (stmt);
  if (!fq_job_check_sqlite (job, rc, error))
    return FALSE;
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  fq_job_respond (job, SOUP_STATUS_OK, json_builder_get_root (builder));
  return TRUE;
}

static void
keys_list (FqRequest *request)
{
  if (!fq_request_require_role (request, FQ_ROLE_BIT (FQ_ROLE_ADMIN)))
    return;
  fq_request_run (request, FQ_JOB_READ, list_keys_job, NULL, NULL);
}

static gboolean
revoke_key_job (FqJob     *job,
                gpointer   user_data,
                GError   **error)
{
  gint64 id = GPOINTER_TO_SIZE (user_data);
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  sqlite3_stmt *stmt;
  int rc;

  stmt = fq_job_prepare (job,
                         "UPDATE open311_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, fq_job_now (job));
  sqlite3_bind_int64 (stmt, 2, id);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (!fq_job_check_sqlite (job, rc, error))
    return FALSE;

  stmt = fq_job_prepare (job, "SELECT id, name, created_at, revoked_at FROM open311_keys WHERE id = ?",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    add_key (builder, stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    {
      if (fq_job_check_sqlite (job, rc, error))
        g_set_error (error, FQ_ERROR, FQ_ERROR_NOT_FOUND, "Open311 key %s not found", id_text);
      return FALSE;
    }

  fq_job_set_audit (job, "open311_key", id_text, "revoked the Open311 key");
  fq_job_respond (job, SOUP_STATUS_OK, json_builder_get_root (builder));
  return TRUE;
}

static void
keys_revoke (FqRequest *request)
{
  const char *text = fq_request_get_segment (request, 1);
  guint64 id;

  if (!fq_request_require_role (request, FQ_ROLE_BIT (FQ_ROLE_ADMIN)))
    return;
  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT32, &id, NULL))
    {
      g_autoptr(GError) error = NULL;

      g_set_error (&error, FQ_ERROR, FQ_ERROR_NOT_FOUND, "Open311 key %s not found", text);
      fq_request_respond_error (request, error);
      return;
    }
  fq_request_run (request, FQ_JOB_WRITE, revoke_key_job, GSIZE_TO_POINTER (id), NULL);
}

void
fq_open311_register (FqServer *server)
{
  fq_server_add_route (server, "POST", "/open311_keys", FQ_ROUTE_BODY, keys_create);
  fq_server_add_route (server, "GET", "/open311_keys", FQ_ROUTE_DEFAULT, keys_list);
  fq_server_add_route (server, "POST", "/open311_keys/*/revoke", FQ_ROUTE_DEFAULT, keys_revoke);
}
