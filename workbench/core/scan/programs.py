"""What the scan knows about programs: shells, wrappers that run a command, bash builtins."""

from __future__ import annotations

import re

SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "ash"})
SOURCE = frozenset({"source", "."})
# Programs that run the command given in their arguments, after options of their own.
WRAPPERS = frozenset(
    {
        "sudo", "doas", "exec", "time", "env", "nohup", "xargs", "timeout", "nice", "ionice",
        "stdbuf", "setsid", "taskset", "chrt", "unbuffer", "chronic", "flock", "gosu",
        "su-exec", "runuser", "retry", "watch", "caffeinate", "strace", "ltrace", "command",
        "builtin",
    }
)  # fmt: skip
# Programs that take `az` as an argument without running it here (or run it elsewhere).
NOT_RUNNING = frozenset(
    {
        "echo", "printf", "which", "type", "hash", "whereis", "alias", "unalias", "complete",
        "grep", "egrep", "fgrep", "rg", "sed", "awk", "cut", "tr", "cat", "tee", "jq", "yq",
        "apt-get", "apt", "apk", "yum", "dnf", "tdnf", "zypper", "brew", "pip", "pip3", "pipx",
        "npm", "man", "help", "test", "[", "export", "local", "declare", "readonly", "set",
        "unset", "true", "false", ":", "docker", "podman", "nerdctl", "kubectl", "ssh", "scp",
        "curl", "wget", "git", "dpkg", "rpm", "logger",
    }
)  # fmt: skip
# Bash builtins and keywords: run by the shell, never an external program.
BUILTINS = frozenset(
    {
        ".", ":", "[", "[[", "alias", "bg", "bind", "break", "builtin", "caller", "cd",
        "command", "compgen", "complete", "compopt", "continue", "declare", "dirs", "disown",
        "echo", "enable", "eval", "exec", "exit", "export", "false", "fc", "fg", "getopts",
        "hash", "help", "history", "jobs", "kill", "let", "local", "logout", "mapfile", "popd",
        "printf", "pushd", "pwd", "read", "readarray", "readonly", "return", "set", "shift",
        "shopt", "source", "suspend", "test", "time", "times", "trap", "true", "type",
        "typeset", "ulimit", "umask", "unalias", "unset", "wait",
    }
)  # fmt: skip
# Options taking a value, per wrapper (the wrapped command follows the options).
_VALUED = {
    "sudo": {"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T"},
    "doas": {"-u", "-C"},
    "timeout": {"-s", "-k", "--signal", "--kill-after"},
    "nice": {"-n", "--adjustment"},
    "ionice": {"-c", "-n", "-p"},
    "env": {"-u", "--unset", "-C", "--chdir", "-S"},
    "xargs": {"-I", "-n", "-P", "-L", "-s", "-d", "-E", "-a", "--max-args", "--max-procs"},
    "stdbuf": {"-i", "-o", "-e"},
    "exec": {"-a"},
    "time": {"-f", "-o", "--format", "--output"},
    "watch": {"-n", "--interval", "-d"},
    "flock": {"-w", "-E", "--timeout"},
    "runuser": {"-u", "-g"},
}
_POSITIONAL_FIRST = {"timeout": 1, "taskset": 1, "chrt": 1, "flock": 1, "gosu": 1, "su-exec": 1}
_NAME = re.compile(r"[A-Za-z_][\w.+-]*")


def command_start(program: str, args: list[str | None]) -> int | None:
    """Index in ``args`` (None: not literal) of the command ``program`` runs; None if none.

    Skips the wrapper's options (and their values), ``env``'s ``NAME=value`` words and the
    positional arguments some wrappers take first (``timeout 60``).
    """
    valued = _VALUED.get(program, set())
    positional = _POSITIONAL_FIRST.get(program, 0)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg is None:
            return i
        if arg == "--":
            return i + 1 if i + 1 < len(args) else None
        if arg.startswith("-") and len(arg) > 1:
            i += 2 if arg in valued else 1
        elif program == "env" and "=" in arg:
            i += 1
        elif positional:
            positional -= 1
            i += 1
        else:
            return i
    return None


def external_name(word: str) -> str | None:
    """The program name a command word runs (``/usr/bin/curl`` -> curl); None for local
    scripts (``./deploy.sh``) and words that are not program names."""
    if "/" in word and not word.startswith("/"):
        return None
    name = word.rsplit("/", 1)[-1]
    return name if _NAME.fullmatch(name) and "=" not in name else None
