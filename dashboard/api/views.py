"""`GET /api/v1/logs`: the same recent log records the dashboard's Logs page shows."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.api.serializers import LogListSerializer, LogQuerySerializer
from dashboard.logfile import log_records
from yesapp.api.envelope import list_envelope
from yesapp.authentication import IsAdminKey
from yesapp.schema import error_responses

_RECORD = {
    "timestamp": "2026-11-27T10:02:41.123Z",
    "level": "ERROR",
    "logger": "sessions_app.engine.actor",
    "message": "Session support: WPP did not become ready within 60 s",
    "requestId": "3f1c2b9e8d7a4e629f0a1b2c3d4e5f60",
    "extra": {"session_id": "5b0e7c1e-8f0a-4c1e-9a55-1d3c2b7a9e10"},
}
_EXAMPLE = list_envelope(
    items=[_RECORD], total=1, limit=100, offset=0, deprecated={"records": [_RECORD], "count": 1}
)


class LogListApi(APIView):
    permission_classes = [IsAdminKey]

    @extend_schema(
        tags=["Logs"],
        operation_id="logs_list",
        summary="Recent log records",
        description=(
            "The newest records of the server's JSON log file (`DATA_DIR/logs/yesapp.log`, and the "
            "previous rotated file when needed), newest first. `level` keeps records at that level or "
            "above. Reading is bounded (a few MB from the end of the file), so a very selective filter "
            "may return fewer than `limit` records. The first-start API key is never repeated here. "
            "Admin keys only.\n\n"
            '`curl -H "X-API-Key: $KEY" "http://localhost:3000/api/v1/logs?level=error&limit=100"`'
        ),
        parameters=[LogQuerySerializer],
        responses={200: LogListSerializer, **error_responses(400, 403)},
        examples=[OpenApiExample("One error", value=_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        query = LogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        records = log_records(
            level=query.validated_data.get("level", ""), limit=query.validated_data["limit"]
        )
        items = [record.as_dict() for record in records]
        limit = query.validated_data["limit"]
        return Response(
            list_envelope(
                items=items, total=len(items), limit=limit, offset=0,
                deprecated={"records": items, "count": len(items)},
            )
        )  # fmt: skip
