"""The exception hierarchy and the exit codes the CLI maps them to."""

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes, defined once; the README documents them."""

    OK = 0
    FAILED = 1  # the sheet has errors, or the submission created nothing
    USAGE = 2  # click's own code for bad options
    PARTIAL = 3  # some cases were created, some were not


class BatchcaseError(Exception):
    """Root of every error batchcase raises on purpose.

    The message is one line a user can act on; it never holds a secret.
    """

    exit_code = ExitCode.FAILED


class SheetError(BatchcaseError, ValueError):
    """A sheet cannot be read at all (encoding, no header, no [Data])."""


class ConfigError(BatchcaseError, ValueError):
    """An option or environment variable is missing or wrong."""


class ApiError(BatchcaseError):
    """Emedgene answered with an error, or could not be reached."""

    def __init__(self, message, status=None, response_message=None):
        super().__init__(message)
        self.status = status
        self.response_message = response_message


class AuthError(ApiError):
    """Login failed or the token was refused twice."""


class SubmissionError(BatchcaseError):
    """A batch submission stopped before every case was created."""

    def __init__(self, message, exit_code=ExitCode.FAILED):
        super().__init__(message)
        self.exit_code = exit_code


class UncertainError(ApiError):
    """A case POST may have reached Emedgene, but no answer says if it created a case.

    Never resend blindly: look the case up first.
    """
