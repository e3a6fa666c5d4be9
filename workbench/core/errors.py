"""The one error type the faces turn into a single clear line."""


class WorkbenchError(Exception):
    """A user-facing failure: the message says what, where and what to do.

    ``exit_code`` is what the CLI exits with (2 = bad input, 1 = the work itself failed).
    """

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class IndexUnreachable(WorkbenchError):
    """The package index could not be reached (network down, DNS, proxy, timeout)."""

    exit_code = 1
