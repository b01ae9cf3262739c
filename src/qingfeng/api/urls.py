from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from ninja.operation import Operation
from ninja.parser import Parser

from qingfeng.api.auth import TokenAuth, VerifiedSessionAuth
from qingfeng.api.orgs import router as orgs_router
from qingfeng.api.payloads import ErrorOut, InvalidOut
from qingfeng.core import registry
from qingfeng.lib.inputs import InputRefused, load_json


class CleanParser(Parser):
    """JSON bodies by the input rules (lib.inputs): nesting, integers and text; the query
    string and form fields were cleaned by core's CleanInputMiddleware already."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return load_json(request.body)


class QingfengAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """`<area module>_<function>`, with the area being qingfeng.api.<area> even where the
        area is a package: splitting an area into modules keeps every operation id (and so the
        method names of generated clients)."""
        area = ".".join(operation.view_func.__module__.split(".")[:3])
        return f"{area}_{operation.view_func.__name__}".replace(".", "_")

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """The document also says what the API answers before an operation's own code runs:
        401 without valid credentials, 422 for input the schemas refuse (invalid_input below).
        django-ninja answers both but documents neither, so clients were not told."""
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for model in (ErrorOut, InvalidOut):
            document.add_schema_definitions(_components(model))
        for methods in document["paths"].values():
            for operation in methods.values():
                responses = operation["responses"]
                if operation.get("security"):
                    responses.setdefault(401, _answer("Unauthorized", ErrorOut))
                if operation.get("parameters") or "requestBody" in operation:
                    responses.setdefault(422, _answer("Unprocessable Content", InvalidOut))
        return document


def _components(model: type[Schema]) -> dict[str, Any]:
    """The model's schema and the schemas it refers to, by name."""
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    return {model.__name__: schema, **schema.pop("$defs", {})}


def _answer(description: str, model: type[Schema]) -> dict[str, Any]:
    ref = REF_TEMPLATE.format(model=model.__name__)
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


api = QingfengAPI(
    title="清风 Qingfeng API",
    version="1",
    description="作风建设“学查改评”闭环管理平台接口。认证：浏览器会话或个人令牌（Authorization: Bearer …）。",
    auth=[TokenAuth(), VerifiedSessionAuth()],
    urls_namespace="api",
    parser=CleanParser(),
)
api.add_router("/orgs/", orgs_router)
api.add_router("/ledger/", "qingfeng.api.ledger.router")
api.add_router("/intake/", "qingfeng.api.intake.router")
# Routers that apps register themselves (core/registry.py), beside the ones above.
for prefix, router in registry.api_routers():
    api.add_router(f"/{prefix.strip('/')}/", router)

_PROBLEMS = {
    "missing": _("必填"),
    "int_parsing": _("须为整数"),
    "int_type": _("须为整数"),
    "string_type": _("须为文本"),
    "date_from_datetime_parsing": _("须为日期，如 2026-11-05"),
    "date_parsing": _("须为日期，如 2026-11-05"),
    "literal_error": _("不是允许的取值"),
    "enum": _("不是允许的取值"),
    "less_than_equal": _("超出允许的最大值"),
    "greater_than_equal": _("低于允许的最小值"),
    "string_too_long": _("过长"),
    "json_invalid": _("不是有效的 JSON"),
}


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Bad input is answered in the user's language, field by field, like the pages."""
    errors = []
    for error in exc.errors:
        field = ".".join(str(part) for part in error.get("loc", ())[1:]) or str(
            error.get("loc", [""])[0]
        )
        reason = _PROBLEMS.get(str(error.get("type", "")), _("取值不正确"))
        errors.append(
            {"field": field, "message": f"{field}：{reason}", "type": error.get("type", "")}
        )
    detail = _("请求参数不正确：%(fields)s") % {"fields": "；".join(e["message"] for e in errors)}
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(HttpError)
def refused(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """django-ninja words a body its parser refused in English ("Cannot parse request body");
    the reason the input rules gave is said instead."""
    message = str(exc.__cause__) if isinstance(exc.__cause__, InputRefused) else str(exc)
    return api.create_response(request, {"detail": message}, status=exc.status_code)
