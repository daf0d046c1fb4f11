"""Errors a user can act on.

Every error that bad input can cause is a :class:`GaitlabError` whose message is one
line saying what is wrong and what to do. The CLI prints it without a traceback.
"""


class GaitlabError(Exception):
    """An error caused by input or environment, with a one-line, actionable message."""


class SessionFileError(GaitlabError):
    """The file is missing, unreadable or not a gaitlab session file."""


class StreamFormatError(GaitlabError):
    """A stream's metadata or data does not follow the gaitlab stream conventions."""


class ProfileError(GaitlabError):
    """An athlete profile or protocol file is missing or invalid."""


class RecordingError(GaitlabError):
    """The recorder cannot start or had to stop (bad output path, disk full, …)."""
