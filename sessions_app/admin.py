from django.contrib import admin, messages

from sessions_app import services
from sessions_app.models import Session, SessionEvent
from yesapp.errors import ServiceError


class SessionEventInline(admin.TabularInline):
    model = SessionEvent
    extra = 0
    can_delete = False
    readonly_fields = ("created_at", "from_status", "to_status", "reason")
    ordering = ("-created_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "desired_state", "phone", "sandbox", "engine_node", "last_activity_at")
    list_filter = ("status", "desired_state", "sandbox")
    search_fields = ("name", "phone", "id")
    # Status and link details are the engine's to write; editing them would lie about the browser.
    readonly_fields = (
        "id",
        "sandbox",
        "status",
        "desired_state",
        "phone",
        "wid",
        "push_name",
        "qr_raw",
        "qr_issued_at",
        "last_error",
        "engine_node",
        "lease_token",
        "created_at",
        "updated_at",
        "status_changed_at",
        "last_connected_at",
        "last_activity_at",
    )
    inlines = [SessionEventInline]
    actions = ["start_sessions", "stop_sessions", "restart_sessions", "logout_sessions"]

    def has_add_permission(self, request) -> bool:
        # Sessions are created through the API or the dashboard, which start them properly.
        return False

    def _run(self, request, queryset, action: str) -> None:
        done, failed = 0, []
        for session in queryset:
            try:
                services.SESSION_ACTIONS[action](session=session)
                done += 1
            except ServiceError as exc:
                failed.append(f"{session.name}: {exc.message}")
        if done:
            self.message_user(request, f"{action.title()} requested for {done} session(s).", messages.SUCCESS)
        for line in failed:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description="Start the selected sessions")
    def start_sessions(self, request, queryset):
        self._run(request, queryset, "start")

    @admin.action(description="Stop the selected sessions")
    def stop_sessions(self, request, queryset):
        self._run(request, queryset, "stop")

    @admin.action(description="Restart the selected sessions")
    def restart_sessions(self, request, queryset):
        self._run(request, queryset, "restart")

    @admin.action(description="Log out (unlink the phone of) the selected sessions")
    def logout_sessions(self, request, queryset):
        self._run(request, queryset, "logout")

    def delete_model(self, request, obj):
        services.session_delete(session=obj)

    def delete_queryset(self, request, queryset):
        for session in queryset:
            services.session_delete(session=session)
