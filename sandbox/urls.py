"""The sandbox page and its endpoints, under /sandbox/ (the REST API is in sandbox/api/)."""

from django.urls import path

from sandbox import action_views, directory_views, group_views, views

app_name = "sandbox"

urlpatterns = [
    path("web/<uuid:session_id>/", views.page, name="page"),
    path("web/<uuid:session_id>/hello", views.hello, name="hello"),
    path("web/<uuid:session_id>/events", views.events, name="events"),
    path("web/<uuid:session_id>/qr", views.qr, name="qr"),
    path("web/<uuid:session_id>/pairing-code", views.pairing_code, name="pairing-code"),
    path("web/<uuid:session_id>/send", views.send, name="send"),
    path("web/<uuid:session_id>/forward", views.forward, name="forward"),
    path("web/<uuid:session_id>/media/<str:wa_id>", views.media, name="media"),
    path("web/<uuid:session_id>/read", views.read, name="read"),
    path("web/<uuid:session_id>/exists", views.exists, name="exists"),
    path("web/<uuid:session_id>/pn-lid", views.pn_lid, name="pn-lid"),
    path("web/<uuid:session_id>/logout", views.logout, name="logout"),
    path("web/<uuid:session_id>/chats", views.chats, name="chats"),
    path("web/<uuid:session_id>/messages", views.chat_messages, name="messages"),
    path("web/<uuid:session_id>/react", action_views.react, name="react"),
    path("web/<uuid:session_id>/delete", action_views.delete, name="delete"),
    path("web/<uuid:session_id>/edit", action_views.edit, name="edit"),
    path("web/<uuid:session_id>/presence", action_views.presence, name="presence"),
    path("web/<uuid:session_id>/find-chat", action_views.find_chat, name="find-chat"),
    path("web/<uuid:session_id>/group", group_views.group, name="group"),
    path("web/<uuid:session_id>/call-reject", group_views.call_reject, name="call-reject"),
    path("web/<uuid:session_id>/contacts", directory_views.contacts, name="contacts"),
    path("web/<uuid:session_id>/contact", directory_views.contact, name="contact"),
    path("web/<uuid:session_id>/picture/<str:digits>", directory_views.picture, name="picture"),
    path("web/<uuid:session_id>/block", directory_views.block, name="block"),
    path("web/<uuid:session_id>/blocklist", directory_views.blocklist, name="blocklist"),
]
