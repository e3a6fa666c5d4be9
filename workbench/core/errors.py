"""The one error type the faces turn into a single clear line."""


class WorkbenchError(Exception):
    """A user-facing failure: the message says what, where and what to do.

    ``exit_code`` is what the CLI exits with (2 = bad input, 1 = the work itself failed).
    The message is always one printable line (see ``_printable``).
    """

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(_printable(message))
        if exit_code is not None:
            self.exit_code = exit_code


def _printable(message: str) -> str:
    """``message`` as one printable line: a control character quoted from the user's input
    (a newline in a file name, an escape sequence) is shown escaped, never acted on."""
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


class IndexUnreachable(WorkbenchError):
    """The package index could not be reached (network down, DNS, proxy, timeout)."""

    exit_code = 1
