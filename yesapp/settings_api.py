"""How Django REST framework and drf-spectacular are wired: fixed, read from no environment.

Part of yesapp/settings.py, which imports both names; the API's tunable limits stay there.
"""

# Who may read the API docs, the schema and /ready's raw errors: a key or a dashboard sign-in.
READER_AUTHENTICATION_CLASSES = [
    "yesapp.authentication.ApiKeyAuthentication",
    "dashboard.auth.DashboardSessionAuthentication",
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["yesapp.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["yesapp.authentication.HasApiKey"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only, so the schema declares one request type per operation (generated
    # clients send the first one they see). The two file uploads add multipart themselves.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "yesapp.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["yesapp.ratelimit.ApiKeyRateThrottle"],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "YesApp API",
    "DESCRIPTION": (
        "Self-hosted WhatsApp HTTP API. Every `/api/v1/` endpoint needs the `X-API-Key` header: "
        "the key printed on first start, or one made with `manage.py createapikey`. Errors share "
        'one shape: `{"error": {"code", "message", "details"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and Swagger UI, like every other page, need a key or a dashboard sign-in.
    "SERVE_PERMISSIONS": ["yesapp.authentication.HasApiKey"],
    "SERVE_AUTHENTICATION": READER_AUTHENTICATION_CLASSES,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validatorUrl: Swagger UI would otherwise call validator.swagger.io (no internet here).
    "SWAGGER_UI_SETTINGS": {
        "persistAuthorization": True,
        "validatorUrl": None,
        "displayRequestDuration": True,
    },
    "COMPONENT_SPLIT_REQUEST": True,
    # A PATCH body is the serializer the view validates with, not a copy with nothing required:
    # editing a message needs its `text`. Bodies whose fields are each optional say so themselves.
    "COMPONENT_SPLIT_PATCH": False,
    # Stable names in the schema for enums that several serializers share.
    "ENUM_NAME_OVERRIDES": {
        "SessionStatusEnum": "sessions_app.models.SessionStatus",
        "SandboxMediaTypeEnum": "sandbox.api.serializers.SANDBOX_MEDIA_TYPES",
        "SendableMediaTypeEnum": "messaging.models.SENDABLE_MEDIA_TYPES",
        "MessageStatusEnum": "messaging.models.MessageStatus",
        "MessageDirectionEnum": "messaging.models.Direction",
        "WahaSessionStatusEnum": "waha.shapes.WAHA_STATUSES",
        "GroupWhoEnum": "groups.api.serializers.WHO",
        "GroupActionEnum": "groups.api.serializers.ACTIONS",
        "GroupParticipantStatusEnum": "groups.api.serializers.PARTICIPANT_STATUSES",
        "PairingCodeStatusEnum": "sessions_app.api.serializers.PAIRING_CODE_STATUSES",
    },
    # Failures every keyed call or request body can meet (429, 413, 415...), documented once.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "yesapp.schema.document_universal_errors",
        "yesapp.schema.state_body_rules",
        "yesapp.schema.keep_patch_body_names",
        "yesapp.schema.point_examples_at_this_server",
    ],
}
