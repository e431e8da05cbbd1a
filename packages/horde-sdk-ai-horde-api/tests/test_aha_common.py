"""Shared models follow the server where it differs from the swagger."""

from __future__ import annotations

from horde_sdk.ai_horde_api.apimodels import RequestError, RequestValidationError
from horde_sdk.ai_horde_api.consts import RC


def test_a_validation_failure_body_without_rc_parses():
    # BEHAVIOUR.md: validation failures carry a message and per-field errors, and no rc.
    body = {"message": "Input payload validation failed", "errors": {"params.steps": "600 is greater than 500"}}
    parsed = RequestValidationError.model_validate(body)
    assert parsed.rc is None
    assert parsed.errors == {"params.steps": "600 is greater than 500"}


def test_other_error_bodies_keep_their_rc():
    parsed = RequestError.model_validate({"message": "Invalid API Key", "rc": "InvalidAPIKey"})
    assert parsed.rc == RC.InvalidAPIKey
