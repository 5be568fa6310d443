"""OpenAPI schema helpers for drf-spectacular."""


def only_product_api(endpoints):
    """Keep the product API (/api/…) and leave out Wagtail's admin API, which is internal to /admin/."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


ERROR_STATUSES = {
    "400": "输入有误（字段错误在 details 中）",
    "401": "未提供或无效的身份凭证",
    "403": "无权访问",
    "404": "不存在或无权查看",
    "405": "不支持的请求方法",
    "406": "无法按 Accept 头给出响应",
    "413": "请求体过大",
    "415": "不支持的请求体格式",
    "429": "请求过于频繁",
}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"nullable": True},
            },
        }
    },
}


def document_errors(result, generator, request, public):
    """Every operation may answer with the platform's error envelope (accounts.api.exception_handler):
    document it once as a component and list the error statuses on every operation, so clients —
    and the schema-driven tests — know every answer the API gives."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUSES.items():
                responses.setdefault(code, {"description": description,
                                            "content": {"application/json": {"schema": ref}}})
    return result
