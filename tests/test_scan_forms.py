"""Parser cases: each shell form an `az` call takes, the negatives, what stays unresolved."""

from __future__ import annotations

import pytest

from workbench.core.scan.scanner import scan_text


def found(script: str) -> list[tuple[int, tuple[str, ...]]]:
    return [(c.line, c.words) for c in scan_text(script).calls]


def case(name: str, script: str, *calls: str):
    """A parser case: each expected call as "LINE word word ..."."""
    expected = [(int(c.split()[0]), tuple(c.split()[1:])) for c in calls]
    return pytest.param(script, expected, id=name)


POSITIVE = [
    case("plain", "az group list\n", "1 group list"),
    case(
        "line continuation",
        "az storage account create \\\n  --name x \\\n  -g rg\n",
        "1 storage account create",
    ),
    case("command substitution", "id=$(az account show --query id -o tsv)\n", "1 account show"),
    case("backticks", "id=`az account show --query id`\n", "1 account show"),
    case(
        "substitution in double quotes",
        'echo "sub: $(az account show -o tsv) rg: `az group list`"\n',
        "1 account show",
        "1 group list",
    ),
    case(
        "nested substitution",
        'az vm show --ids "$(az vm list --query "[0].id" -o tsv)"\n',
        "1 vm show",
        "1 vm list",
    ),
    case("pipe", "az vm list -o json | jq -r '.[].id'\n", "1 vm list"),
    case(
        "and or",
        "az group exists -n a && az group show -n a || az group create -n a\n",
        "1 group exists",
        "1 group show",
        "1 group create",
    ),
    case(
        "if condition and body",
        "if az group exists -n a; then\n  az group delete -n a --yes\nfi\n",
        "1 group exists",
        "2 group delete",
    ),
    case(
        "negated if",
        "if ! az account show >/dev/null; then az login; fi\n",
        "1 account show",
        "1 login",
    ),
    case("while condition", "while ! az aks show -n c -g g; do sleep 5; done\n", "1 aks show"),
    case("until condition", "until az lock list; do sleep 1; done\n", "1 lock list"),
    case(
        "case subject and arms",
        'case "$(az account show --query user.type -o tsv)" in\n'
        "  user) az ad signed-in-user show ;;\n  *) az ad sp list ;;\nesac\n",
        "1 account show",
        "2 ad signed-in-user show",
        "3 ad sp list",
    ),
    case(
        "function body",
        "deploy() {\n  az deployment group create -g rg -f main.bicep\n}\ndeploy\n",
        "2 deployment group create",
    ),
    case(
        "for loop",
        'for g in $(az group list --query [].name -o tsv); do\n  az lock list -g "$g"\ndone\n',
        "1 group list",
        "2 lock list",
    ),
    case(
        "subshell and group",
        "( cd /tmp && az feature list )\n{ az policy assignment list; } 2>&1\n",
        "1 feature list",
        "2 policy assignment list",
    ),
    case("sudo", "sudo -E az role definition list\n", "1 role definition list"),
    case("sudo with user", "sudo -u deploy -H az account list\n", "1 account list"),
    case("command", "command az role assignment list\n", "1 role assignment list"),
    case("exec", "exec az login --identity\n", "1 login"),
    case("time", "time az network watcher list\n", "1 network watcher list"),
    case(
        "env", "env -u DEBUG AZURE_CORE_OUTPUT=table az network vnet list\n", "1 network vnet list"
    ),
    case("nohup", "nohup az webapp log tail -n a -g g > log 2>&1 &\n", "1 webapp log tail"),
    case(
        "xargs with options",
        "az vm list --query [].id -o tsv | xargs -r -n 1 -P 4 az vm deallocate --ids\n",
        "1 vm list",
        "1 vm deallocate",
    ),
    case("xargs -I", "xargs -I{} az vm start --ids {} < ids\n", "1 vm start"),
    case(
        "timeout",
        "timeout 600 az deployment group wait --created -n d -g g\n",
        "1 deployment group wait",
    ),
    case(
        "assignment prefix",
        "AZURE_CORE_OUTPUT=json FOO=1 az config set core.output=json\n",
        "1 config set core.output=json",
    ),
    case("variable indirection", "AZ=az; $AZ group list\n", "1 group list"),
    case("quoted indirection", 'AZ="az"\n"$AZ" account show\n', "2 account show"),
    case("readonly indirection", "readonly AZ=az\n$AZ account list\n", "2 account list"),
    case(
        "local and export indirection",
        "f() { local cli=az; $cli disk list; }\nexport AZB=/usr/bin/az\n$AZB snapshot list\n",
        "1 disk list",
        "3 snapshot list",
    ),
    case("default value indirection", 'AZ="${AZ_CLI:-az}"\n$AZ vm list\n', "2 vm list"),
    case("command -v indirection", 'AZ="$(command -v az)"\n"$AZ" vm list\n', "2 vm list"),
    case("chained indirection", "BIN=/opt/az/bin/az\nAZ=$BIN\n$AZ group list\n", "3 group list"),
    case(
        "indirection with flags",
        'AZ="az --only-show-errors"\n$AZ network nic list\n',
        "2 network nic list",
    ),
    case(
        "optional sudo prefix",
        'SUDO=""\n[ "$(id -u)" = 0 ] || SUDO=sudo\n$SUDO az upgrade --yes\n',
        "3 upgrade",
    ),
    case("unknown prefix variable", "$RUNNER az bicep install\n", "1 bicep install"),
    case("full path", "/usr/bin/az extension list\n", "1 extension list"),
    case(
        "python -m azure.cli through a variable",
        'AZ_CMD="/opt/venv/bin/python3 -m azure.cli"\n$AZ_CMD group create -n rg -l westeurope\n',
        "2 group create",
    ),
    case("quoted program name", '"az" group list\n', "1 group list"),
    case("global flag first", "az --only-show-errors --debug group list\n", "1 group list"),
    case("root invocation", "az --version\naz\n", "1", "2"),
    case(
        "loop variable in path",
        "for what in disk snapshot; do\n  az $what list\ndone\n",
        "2 disk list",
        "2 snapshot list",
    ),
    case("constant in path", 'SUB="storage account"\naz $SUB list\n', "2 storage account list"),
    case("literal array", 'cmd=(az identity list -g rg)\n"${cmd[@]}"\n', "2 identity list"),
    case(
        "forwarding function",
        'az_json() { az "$@" --output json; }\naz_json appservice plan list\n',
        "2 appservice plan list",
    ),
    case(
        "forwarding function with prefix",
        'kv() { az keyvault "$@"; }\nkv secret show --vault-name v -n s\n',
        "2 keyvault secret show",
    ),
    case(
        "forwarding function with shift",
        'run() { local label=$1; shift; echo "$label"; az "$@"; }\nrun step1 group list\n',
        "2 group list",
    ),
    case(
        "runner function",
        'retry() { for i in 1 2 3; do "$@" && return; sleep 5; done; }\n'
        "retry az acr check-health -n r\n",
        "2 acr check-health",
    ),
    case("bash -c string", "bash -c 'az role assignment list --all'\n", "1 role assignment list"),
    case("sh -c on a later line", 'x=1\nsh -c "\n  az account show\n"\n', "3 account show"),
    case(
        "heredoc fed to bash",
        "bash <<'EOF'\naz monitor metrics list\nEOF\n",
        "2 monitor metrics list",
    ),
    case(
        "substitution in unquoted heredoc",
        "cat <<EOF\nsubscription: $(az account show --query id -o tsv)\nEOF\n",
        "2 account show",
    ),
    case(
        "find -exec",
        "find . -name '*.json' -exec az deployment group validate --template-file {} \\;\n",
        "1 deployment group validate",
    ),
    case(
        "process substitution",
        'while read -r id; do az resource delete --ids "$id"; done < <(az resource list -o tsv)\n',
        "1 resource delete",
        "1 resource list",
    ),
    case("arithmetic", "n=$(( $(az group list --query 'length(@)') + 1 ))\n", "1 group list"),
    case("test command", '[[ "$(az group exists -n a)" == true ]] && echo yes\n', "1 group exists"),
    case(
        "pipeline swallowing the next line",
        "a | sort | head -n 3\naz group exists -n a && az group show -n a\n",
        "2 group exists",
        "2 group show",
    ),
    case("crlf line endings", "az group list\r\naz vm list\r\n", "1 group list", "2 vm list"),
]


@pytest.mark.parametrize("script,expected", POSITIVE)
def test_form_is_found(script, expected):
    assert found(script) == expected


NEGATIVE = {
    "comment": "# az group delete --yes\n",
    "trailing comment": "echo hi  # then az login\n",
    "double-quoted text": 'echo "run az login first"\n',
    "single-quoted text": "echo 'az account clear' | tee /dev/null\n",
    "quoted heredoc": "cat <<'EOF'\naz login\n$(az account show)\nEOF\n",
    "unquoted heredoc text": "cat <<EOF\naz login && az account set -s x\nEOF\n",
    "remote heredoc": "ssh host <<'EOF'\naz vm list\nEOF\n",
    "word containing az": "lazy --flag az\nazcopy copy a b\nmy-az group list\n",
    "command -v": "command -v az >/dev/null || exit 1\n",
    "which and type": "which az\ntype -P az\nhash az\n",
    "variable named like az": "AZ_VERSION=2.91.0\necho $AZ_VERSION\n",
    "package install": "apt-get install -y azure-cli\npip install azure-cli==2.91.0\n",
    "runs az elsewhere": "docker run --rm mcr/azure-cli az group list\n",
    "remote string": "ssh host 'az vm list'\n",
    "function never called": "cleanup() { az group delete -n x --yes; }\n",  # still a call
}


@pytest.mark.parametrize("script", NEGATIVE.values(), ids=NEGATIVE.keys())
def test_not_a_call(script):
    calls = found(script)
    if "cleanup()" in script:  # a defined function body is code: its call is counted
        assert calls == [(1, ("group", "delete"))]
    else:
        assert calls == []
        assert scan_text(script).unresolved == ()


UNRESOLVED = {
    "array from arguments": ('az "${args[@]}"\n', "comes from <args>"),
    "unknown path variable": ("az $sub list\n", "comes from <sub>"),
    "positional parameter": ("az $1 list\n", "comes from <1>"),
    "variable with a run-time value": ("sub=$(cat f)\naz $sub list\n", "comes from <sub>"),
    "eval": ('eval "az $SUBCOMMAND list"\n', "eval"),
    "unknown program variable": ("$AZ_CLI group list\n", "program comes from $AZ_CLI"),
    "bash -c built at run time": ('bash -c "$AZ_COMMAND"\n', "-c runs a string built at run time"),
    "unknown runner": ("with_retry 3 az group list\n", "argument of `with_retry`"),
    "forwarder nobody calls": ('az_do() { az "$@"; }\n', "nothing here calls it"),
}


@pytest.mark.parametrize("script,reason", UNRESOLVED.values(), ids=UNRESOLVED.keys())
def test_unresolved_is_reported_not_guessed(script, reason):
    result = scan_text(script, "ci.sh")
    assert result.calls == ()
    assert len(result.unresolved) == 1
    spot = result.unresolved[0]
    assert reason in spot.reason
    assert spot.file == "ci.sh"
    assert spot.line == script.count("\n")


def test_partial_path_is_a_call_with_stopped_at():
    (call,) = scan_text("az vm $op -g rg -n vm\n").calls
    assert call.words == ("vm",)
    assert call.stopped_at == "<op>"


def test_args_text_and_line():
    script = (
        "RG=rg\naz group create \\\n"
        '  --name "rg-${env}" \\\n'
        '  --tags "sha=$(git rev-parse HEAD)" x=$((1+2))\n'
    )
    (call,) = scan_text(script, "deploy.sh").calls
    assert call.file == "deploy.sh"
    assert call.line == 2
    assert call.args == ("group", "create", "--name", "rg-<env>", "--tags", "sha=<cmd>", "x=<expr>")
    assert call.text == (
        'az group create --name "rg-${env}" --tags "sha=$(git rev-parse HEAD)" x=$((1+2))'
    )


def test_text_stops_at_the_call_and_via_names_the_route():
    (first, second) = scan_text("sudo az vm list | xargs -n1 az vm start --ids\n").calls
    assert (first.text, first.via) == ("az vm list", ("sudo",))
    assert (second.text, second.via) == ("az vm start --ids", ("xargs",))


def test_forwarded_call_reports_call_site():
    (call,) = scan_text('j() {\n  az "$@" -o json\n}\n\nj group list\n').calls
    assert (call.line, call.text, call.args) == (5, "j group list", ("group", "list", "-o", "json"))
    assert call.via == ("function j",)


def test_syntax_error_keeps_calls_and_names_the_line():
    script = "az group list\nif true; then\n  az vm list\n  echo (\nfi\n" + "echo ok\n" * 10
    result = scan_text(script, "broken.sh")
    assert (1, ("group", "list")) in [(c.line, c.words) for c in result.calls]
    assert result.unresolved, "the syntax error must be reported"
    assert all("syntax error" in u.reason for u in result.unresolved)
    assert any(u.line in (2, 4) for u in result.unresolved)
