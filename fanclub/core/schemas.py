"""Base schema of the API: camelCase on the wire, snake_case in Python."""

from __future__ import annotations

from ninja import Router, Schema
from pydantic import ConfigDict
from pydantic.alias_generators import to_camel


class ApiSchema(Schema):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ErrorBody(Schema):
    code: str
    message: str
    details: object | None = None
    requestId: str
    timestamp: str


class ErrorOut(Schema):
    """The one error shape every API failure uses."""

    error: ErrorBody


def api_router(**kwargs: object) -> Router:
    """A router serializing by alias (camelCase), as every app router must."""
    return Router(by_alias=True, **kwargs)  # type: ignore[arg-type]
