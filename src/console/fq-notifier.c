/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Desktop notifications for tickets. The timeline events are the facts to
 * notify about: each is written once by the server and comes once through
 * the feed, so no earlier state has to be remembered to see a change. An
 * `sla_breached` event means a ticket just became overdue; `dispatched`,
 * `redispatched` and an escalation naming a new lead mean a ticket has just
 * come to a unit.
 *
 * What the first catch-up and each catch-up after a reconnection bring is
 * history and notifies nothing: the notifier is armed only once the sync is
 * online with its catch-up done, and disarmed whenever it goes offline. The
 * short catch-ups an online sync makes to fill a gap in seq (for a user of
 * a narrow scope, after nearly every change outside it) are live news. Events
 * older than a quarter of an hour are not news either (a watch that ran late,
 * a clock that drifted), so that reconnecting never floods the desktop.
 */

#define G_LOG_DOMAIN "fq-notifier"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-json.h"
#include "fq-notifier.h"

/* Events older than this when they arrive are not news. */
#define FRESH_SECONDS (15 * 60)

struct _FqNotifier
{
  GObject       parent_instance;

  GApplication *app;          /* weak */
  FqContext    *context;
  FqCache      *cache;
  FqSync       *sync;
  GCancellable *cancellable;
  GHashTable   *sent;         /* event ids already notified */
  gboolean      armed;        /* online, and the catch-up since going online done */
  guint         n_sent;
};

G_DEFINE_FINAL_TYPE (FqNotifier, fq_notifier, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_N_SENT,
  N_PROPS
};

enum {
  NOTIFIED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char *
member_string (JsonObject *object,
               const char *member)
{
  return fq_json_string_or (object, member, NULL);
}

static JsonObject *
member_object (JsonObject *object,
               const char *member)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, member)) == NULL
      || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

FqNotifyKind
fq_notifier_classify (JsonObject *event,
                      FqRole      role,
                      const char *unit)
{
  const char *kind = member_string (event, "kind");
  const char *event_unit = member_string (event, "unit");
  JsonObject *data = member_object (event, "data");
  const char *to = member_string (data, "to");

  if (kind == NULL)
    return FQ_NOTIFY_NONE;

  if (g_str_equal (kind, "sla_breached"))
    {
      /* A session's action item running out is the session's business,
       * not the ticket going overdue. */
      if (g_strcmp0 (member_string (data, "breach"), "action_item") == 0)
        return FQ_NOTIFY_NONE;
      if (role == FQ_ROLE_COORDINATOR)
        return FQ_NOTIFY_OVERDUE;
      if (role == FQ_ROLE_UNIT && unit != NULL && g_strcmp0 (event_unit, unit) == 0)
        return FQ_NOTIFY_OVERDUE;
      return FQ_NOTIFY_NONE;
    }

  if (role != FQ_ROLE_UNIT || unit == NULL)
    return FQ_NOTIFY_NONE;

  if (g_str_equal (kind, "dispatched") && g_strcmp0 (event_unit, unit) == 0)
    return FQ_NOTIFY_DISPATCHED;
  if (g_str_equal (kind, "redispatched")
      && g_strcmp0 (to != NULL ? to : event_unit, unit) == 0
      && g_strcmp0 (member_string (data, "from"), unit) != 0)
    return FQ_NOTIFY_DISPATCHED;
  if (g_str_equal (kind, "escalated") && to != NULL && g_str_equal (to, unit)
      && g_strcmp0 (member_string (data, "from"), unit) != 0)
    return FQ_NOTIFY_DISPATCHED;

  return FQ_NOTIFY_NONE;
}

typedef struct
{
  FqNotifier   *self;
  FqNotifyKind  kind;
  char         *ticket;
  char         *event;
} Pending;

static void
pending_free (Pending *pending)
{
  g_object_unref (pending->self);
  g_free (pending->ticket);
  g_free (pending->event);
  g_free (pending);
}

static void
send (FqNotifier   *self,
      FqNotifyKind  kind,
      const char   *event_id,
      const char   *ticket_id,
      JsonObject   *ticket)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;
  g_autofree char *body = NULL;
  const char *title = member_string (ticket, "title");
  const char *lead = member_string (ticket, "lead_unit");
  const char *lead_name = lead != NULL ? fq_context_lookup_unit_name (self->context, lead) : NULL;

  id = g_strdup_printf ("fq-ticket-%s-%s", ticket_id, kind == FQ_NOTIFY_OVERDUE ? "overdue" : "dispatched");
  if (g_hash_table_contains (self->sent, event_id))
    return;

  if (kind == FQ_NOTIFY_OVERDUE)
    {
      notification = g_notification_new (_("Ticket overdue"));
      g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
      /* Translators: the body of the "Ticket overdue" notification: the
       * ticket's title, then its lead unit. */
      body = g_strdup_printf (_("%s · %s"), title != NULL ? title : ticket_id,
                              lead_name != NULL && lead_name[0] != '\0' ? lead_name : "");
    }
  else
    {
      notification = g_notification_new (_("New ticket for your unit"));
      g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
      /* Translators: the body of the "New ticket" notification: its title,
       * then its id. */
      body = g_strdup_printf (_("%s · %s"), title != NULL ? title : "", ticket_id);
    }
  g_notification_set_body (notification, body);
  g_notification_set_category (notification, "im.received");

  /* Clicking opens the ticket when the application offers it. */
  if (self->app != NULL && g_action_group_has_action (G_ACTION_GROUP (self->app), "show-ticket"))
    g_notification_set_default_action_and_target (notification, "app.show-ticket", "s", ticket_id);

  g_hash_table_add (self->sent, g_strdup (event_id));
  self->n_sent++;
  g_signal_emit (self, signals[NOTIFIED], 0, id, notification);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SENT]);

  if (self->app != NULL && g_application_get_is_registered (self->app)
      && !g_application_get_is_remote (self->app))
    g_application_send_notification (self->app, id, notification);
}

static void
ticket_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Pending *pending = user_data;
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(GError) error = NULL;

  ticket = fq_cache_get_record_finish (FQ_CACHE (object), result, &error);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    send (pending->self, pending->kind, pending->event, pending->ticket, ticket);
  pending_free (pending);
}

static void
event_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FqNotifier) self = user_data;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(GError) error = NULL;
  const char *ticket;
  FqNotifyKind kind;
  gint64 at = 0;
  Pending *pending;

  event = fq_cache_get_record_finish (FQ_CACHE (object), result, &error);
  if (event == NULL)
    return;

  kind = fq_notifier_classify (event, fq_context_get_role (self->context), fq_context_get_unit (self->context));
  ticket = member_string (event, "ticket");
  if (kind == FQ_NOTIFY_NONE || ticket == NULL || member_string (event, "id") == NULL)
    return;
  if (!fq_json_get_time (event, "at", FALSE, &at, NULL, NULL)
      || at < fq_client_get_server_time () / G_USEC_PER_SEC - FRESH_SECONDS)
    return;

  pending = g_new0 (Pending, 1);
  pending->self = g_object_ref (self);
  pending->kind = kind;
  pending->ticket = g_strdup (ticket);
  pending->event = g_strdup (member_string (event, "id"));
  fq_cache_get_record_async (self->cache, "ticket", ticket, self->cancellable, ticket_loaded_cb, pending);
}

static void
event_changed_cb (FqNotifier *self,
                  const char *entity,
                  const char *id,
                  FqCache    *cache)
{
  if (!self->armed)
    {
      g_debug ("Event %s is history", id);
      return;
    }

  fq_cache_get_record_async (cache, "event", id, self->cancellable, event_loaded_cb, g_object_ref (self));
}

static void
sync_changed_cb (FqNotifier *self,
                 GParamSpec *pspec,
                 FqSync     *sync)
{
  if (fq_sync_get_state (sync) != FQ_SYNC_STATE_ONLINE)
    self->armed = FALSE;
  else if (!fq_sync_get_catching_up (sync))
    self->armed = TRUE;
}

static void
fq_notifier_dispose (GObject *object)
{
  FqNotifier *self = (FqNotifier *)object;

  g_cancellable_cancel (self->cancellable);
  if (self->app != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->app), (gpointer *)&self->app);
  self->app = NULL;
  g_clear_object (&self->cancellable);
  g_clear_object (&self->cache);
  g_clear_object (&self->sync);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (fq_notifier_parent_class)->dispose (object);
}

static void
fq_notifier_finalize (GObject *object)
{
  FqNotifier *self = (FqNotifier *)object;

  g_clear_pointer (&self->sent, g_hash_table_unref);

  G_OBJECT_CLASS (fq_notifier_parent_class)->finalize (object);
}

static void
fq_notifier_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  FqNotifier *self = FQ_NOTIFIER (object);

  switch (prop_id)
    {
    case PROP_N_SENT:
      g_value_set_uint (value, self->n_sent);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_notifier_class_init (FqNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fq_notifier_dispose;
  object_class->finalize = fq_notifier_finalize;
  object_class->get_property = fq_notifier_get_property;

  properties[PROP_N_SENT] =
    g_param_spec_uint ("n-sent", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[NOTIFIED] =
    g_signal_new ("notified", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_NOTIFICATION);
}

static void
fq_notifier_init (FqNotifier *self)
{
  self->cancellable = g_cancellable_new ();
  self->sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

FqNotifier *
fq_notifier_new (GApplication *app,
                 FqContext    *context)
{
  FqNotifier *self;

  g_return_val_if_fail (!app || G_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (FQ_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (fq_context_get_cache (context) != NULL, NULL);

  self = g_object_new (FQ_TYPE_NOTIFIER, NULL);
  self->app = app;
  if (app != NULL)
    g_object_add_weak_pointer (G_OBJECT (app), (gpointer *)&self->app);
  self->context = g_object_ref (context);
  self->cache = g_object_ref (fq_context_get_cache (context));
  if (fq_context_get_sync (context) != NULL)
    {
      self->sync = g_object_ref (fq_context_get_sync (context));
      /* Made after a catch-up already finished: armed from now on. */
      self->armed = fq_sync_get_state (self->sync) == FQ_SYNC_STATE_ONLINE
                    && !fq_sync_get_catching_up (self->sync);
      g_signal_connect_object (self->sync, "notify::state", G_CALLBACK (sync_changed_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->sync, "notify::catching-up", G_CALLBACK (sync_changed_cb), self,
                               G_CONNECT_SWAPPED);
    }
  g_signal_connect_object (self->cache, "record-changed::event", G_CALLBACK (event_changed_cb), self,
                           G_CONNECT_SWAPPED);

  return self;
}

guint
fq_notifier_get_n_sent (FqNotifier *self)
{
  g_return_val_if_fail (FQ_IS_NOTIFIER (self), 0);

  return self->n_sent;
}
