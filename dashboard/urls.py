"""Dashboard pages and the fragments their scripts poll. Mounted at the site root, after
every other URL, so it never shadows the API, the admin or the sandbox page."""

from django.urls import path

from dashboard.views import (
    auth,
    chats,
    contacts,
    failed_events,
    groups,
    logs,
    message_actions,
    messages,
    sandbox,
    sandbox_acts,
    sandbox_groups,
    sending_policy,
    session_page,
    sessions,
    stats,
    webhooks,
)

app_name = "dashboard"

urlpatterns = [
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("", sessions.sessions_home, name="sessions"),
    path("sessions/table", sessions.sessions_table, name="sessions-table"),
    path("sessions/new", sessions.session_create, name="session-create"),
    path("sessions/<uuid:session_id>/", session_page.session_detail, name="session"),
    path("sessions/<uuid:session_id>/header", session_page.session_header, name="session-header"),
    path("sessions/<uuid:session_id>/link", session_page.session_link_panel, name="session-link"),
    path(
        "sessions/<uuid:session_id>/diagnostics",
        session_page.session_diagnostics_panel,
        name="session-diagnostics",
    ),
    path(
        "sessions/<uuid:session_id>/pairing-code", session_page.session_pairing_code, name="session-pairing"
    ),
    path("sessions/<uuid:session_id>/actions/<str:action>", sessions.session_action, name="session-action"),
    path("sessions/<uuid:session_id>/messages", messages.message_log, name="message-log"),
    path(
        "sessions/<uuid:session_id>/failed-events/<uuid:event_id>/retry",
        failed_events.failed_event_retry_view,
        name="failed-event-retry",
    ),
    path("sessions/<uuid:session_id>/send", messages.message_send, name="message-send"),
    path(
        "sessions/<uuid:session_id>/messages/<uuid:message_id>/react",
        message_actions.message_react,
        name="message-react",
    ),
    path("sessions/<uuid:session_id>/contacts/check", messages.contact_check, name="contact-check"),
    path("sessions/<uuid:session_id>/chats/", chats.chats_page, name="chats"),
    path("sessions/<uuid:session_id>/chats/list", chats.chat_list_fragment, name="chat-list"),
    path("sessions/<uuid:session_id>/chats/<str:chat_id>/", chats.chats_page, name="chat"),
    path(
        "sessions/<uuid:session_id>/chats/<str:chat_id>/thread",
        chats.chat_thread_fragment,
        name="chat-thread",
    ),
    path("sessions/<uuid:session_id>/chats/<str:chat_id>/reply", chats.chat_reply, name="chat-reply"),
    path("sessions/<uuid:session_id>/chats/<str:chat_id>/read", chats.chat_read, name="chat-read"),
    path("sessions/<uuid:session_id>/contacts/", contacts.contact_list_page, name="contacts"),
    path(
        "sessions/<uuid:session_id>/contacts/<str:contact_id>/block",
        contacts.contact_block,
        name="contact-block",
    ),
    path("sessions/<uuid:session_id>/webhook", webhooks.webhook_save, name="webhook-save"),
    path(
        "sessions/<uuid:session_id>/sending-policy",
        sending_policy.sending_policy_save,
        name="sending-policy-save",
    ),
    path("sessions/<uuid:session_id>/webhook/delete", webhooks.webhook_delete, name="webhook-delete"),
    path(
        "sessions/<uuid:session_id>/webhook/deliveries",
        webhooks.webhook_deliveries,
        name="webhook-deliveries",
    ),
    path("deliveries/<uuid:delivery_id>/retry", webhooks.webhook_delivery_retry, name="delivery-retry"),
    path("sessions/<uuid:session_id>/phone/", sandbox.sandbox_phone, name="sandbox"),
    path("sessions/<uuid:session_id>/phone/state", sandbox.sandbox_state, name="sandbox-state"),
    path("sessions/<uuid:session_id>/phone/outbox", sandbox.sandbox_outbox, name="sandbox-outbox"),
    path("sessions/<uuid:session_id>/phone/scan", sandbox.sandbox_scan, name="sandbox-scan"),
    path("sessions/<uuid:session_id>/phone/unlink", sandbox.sandbox_unlink, name="sandbox-unlink"),
    path("sessions/<uuid:session_id>/phone/write", sandbox.sandbox_write, name="sandbox-write"),
    path("sessions/<uuid:session_id>/phone/act", sandbox_acts.sandbox_act, name="sandbox-act"),
    path("sessions/<uuid:session_id>/phone/presence", sandbox_acts.sandbox_presence, name="sandbox-presence"),
    path("sessions/<uuid:session_id>/phone/profile", sandbox.sandbox_profile, name="sandbox-profile"),
    path("sessions/<uuid:session_id>/phone/share", sandbox_acts.sandbox_share, name="sandbox-share"),
    path("sessions/<uuid:session_id>/phone/media/<str:wa_id>", sandbox.sandbox_media, name="sandbox-media"),
    path(
        "sessions/<uuid:session_id>/phone/groups", sandbox_groups.sandbox_group_new, name="sandbox-group-new"
    ),
    path(
        "sessions/<uuid:session_id>/phone/groups/members",
        sandbox_groups.sandbox_group_members,
        name="sandbox-group-members",
    ),
    path(
        "sessions/<uuid:session_id>/phone/groups/write",
        sandbox_groups.sandbox_group_write,
        name="sandbox-group-write",
    ),
    path("sessions/<uuid:session_id>/phone/call", sandbox_groups.sandbox_call, name="sandbox-call"),
    path("sessions/<uuid:session_id>/groups/", groups.groups_page, name="groups"),
    path("sessions/<uuid:session_id>/groups/new", groups.group_create, name="group-create"),
    path(
        "sessions/<uuid:session_id>/groups/<str:group_id>/members", groups.group_members, name="group-members"
    ),
    path("sessions/<uuid:session_id>/groups/<str:group_id>/invite", groups.group_invite, name="group-invite"),
    path("sessions/<uuid:session_id>/groups/<str:group_id>/leave", groups.group_leave, name="group-leave"),
    path("sessions/<uuid:session_id>/calls", groups.call_settings_save, name="call-settings"),
    path("media/<uuid:message_id>", messages.media_download, name="media"),
    path("stats/", stats.stats_page, name="stats"),
    path("stats/panel", stats.stats_panel, name="stats-panel"),
    path("logs/", logs.logs_page, name="logs"),
    path("logs/table", logs.logs_table, name="logs-table"),
]
