"""Typed identifiers of the AI Horde API.

They are ``NewType`` s over ``str`` (or ``int``): free at run time, distinct for type checkers, so a
worker id cannot be passed where a job id is expected by accident.
"""

from __future__ import annotations

from typing import NewType

__all__ = [
    "CollectionID",
    "FilterID",
    "GenerationID",
    "JobID",
    "MessageID",
    "SharedKeyID",
    "StyleExampleID",
    "StyleID",
    "TeamID",
    "UserID",
    "WorkerID",
]

JobID = NewType("JobID", str)
"""The id of an async request (image, text or alchemy) returned on submission; used to check, get the
status of, or cancel it."""

GenerationID = NewType("GenerationID", str)
"""The id of one generation a worker popped (``ids`` of a pop answer); submitted back with the result."""

WorkerID = NewType("WorkerID", str)
"""The id of a worker."""

UserID = NewType("UserID", int)
"""The numeric id of a user (the part after ``#`` in ``name#id``)."""

TeamID = NewType("TeamID", str)
"""The id of a team."""

StyleID = NewType("StyleID", str)
"""The id of an image or text style."""

StyleExampleID = NewType("StyleExampleID", str)
"""The id of an example image of a style."""

CollectionID = NewType("CollectionID", str)
"""The id of a collection of styles."""

FilterID = NewType("FilterID", str)
"""The id of a prompt filter."""

MessageID = NewType("MessageID", str)
"""The id of a message to a worker."""

SharedKeyID = NewType("SharedKeyID", str)
"""The id of a shared key."""
