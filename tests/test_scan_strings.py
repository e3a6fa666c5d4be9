"""Commands run from strings, wrappers and sourced scripts: each resolved when static, flagged
(with the line, never dropped) when not; and the external programs a script runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.scan.model import ExternalCommand
from workbench.core.scan.scanner import scan_file, scan_text


def calls(script: str) -> list[tuple[int, tuple[str, ...]]]:
    return [(c.line, c.words) for c in scan_text(script, "s.sh").calls]


def spots(script: str) -> list[tuple[int, str]]:
    return [(u.line, u.reason) for u in scan_text(script, "s.sh").unresolved]


RESOLVED = {
    "eval literal": ('eval "az keyvault list -g rg"\n', [(1, ("keyvault", "list"))]),
    "eval of a static variable": (
        'CMD="az group show -n $RG"\necho x\neval "$CMD"\n',
        [(3, ("group", "show"))],
    ),
    "wrapper function evaluating its argument": (
        'run_command() {\n  local CMD="$1"\n  echo "Running: $CMD"\n  eval "$CMD"\n}\n'
        'run_command "az keyvault create -n ${kv} -g ${rg} | tee out.json"\n'
        'run_command "az group delete -n x --yes"\n',
        [(6, ("keyvault", "create")), (7, ("group", "delete"))],
    ),
    "third argument run inside a function": (
        'step() {\n  echo "$1 $2"\n  $3\n}\nstep a b "az vm list -g rg"\n',
        [(5, ("vm", "list"))],
    ),
    "function passing its argument on to an evaluator": (
        'run() { eval "$1"; }\nlogged() { echo "$1"; run "$1"; }\nlogged "az acr list"\n',
        [(3, ("acr", "list"))],
    ),
    "argument or a default run inside a function": (
        "check() {\n  if [[ $# -eq 3 ]]; then\n    CMD=$3\n  else\n"
        '    CMD="az resource show --ids ${2}"\n  fi\n  ${CMD} > /dev/null\n}\n'
        'check a b\ncheck a b "az monitor diagnostic-settings show --name x"\n',
        [(7, ("resource", "show")), (10, ("monitor", "diagnostic-settings", "show"))],
    ),
    "argument or a default evaluated inside a function": (
        'run() {\n  CMD="az vm list"\n  [ -n "$1" ] && CMD="$1"\n  eval "$CMD"\n}\n'
        'run\nrun "az disk list"\n',
        [(4, ("vm", "list")), (7, ("disk", "list"))],
    ),
    "eval of an indirect assignment": (
        'set_var() { eval "${1}=\'${2}\'"; }\nset_var RG "$(cat rg)"\neval "$NAME=$VALUE"\n',
        [],
    ),
    "variable holding a command, run split": (
        'CMD="az resource show --ids ${ID}"\n${CMD}\n',
        [(2, ("resource", "show"))],
    ),
    "array holding a command": (
        'cmd=(az identity list -g "$rg")\n"${cmd[@]}"\n',
        [(2, ("identity", "list"))],
    ),
    "bash -c with a static string": (
        'bash -c "az storage account list -g $RG"\n',
        [(1, ("storage", "account", "list"))],
    ),
    "sh -c in xargs": (
        "xargs -I {} sh -c 'az vm start --ids {}' < ids\n",
        [(1, ("vm", "start"))],
    ),
    "heredoc fed to bash": (
        "bash <<EOF\naz group list\naz vm list\nEOF\n",
        [(2, ("group", "list")), (3, ("vm", "list"))],
    ),
    "quoted heredoc fed to sh -s": (
        "sh -s <<'EOF'\naz account show\nEOF\n",
        [(2, ("account", "show"))],
    ),
    "here-string fed to bash": (
        'bash <<< "az network vnet list"\n',
        [(1, ("network", "vnet", "list"))],
    ),
    "timeout": ("timeout 60 az group list\n", [(1, ("group", "list"))]),
    "env with assignments": ("env A=b C=d az vm list\n", [(1, ("vm", "list"))]),
    "nice -n": ("nice -n 10 az disk list\n", [(1, ("disk", "list"))]),
    "time": ("time az account list\n", [(1, ("account", "list"))]),
    "exec": ("exec az login --identity\n", [(1, ("login",))]),
    "command": ("command az group list\n", [(1, ("group", "list"))]),
    "sudo -E": ("sudo -E az role assignment list\n", [(1, ("role", "assignment", "list"))]),
    "xargs with options": (
        "xargs -r -n 1 -P 4 az vm deallocate --ids < ids\n",
        [(1, ("vm", "deallocate"))],
    ),
    "trap string": ('trap "az logout" EXIT\n', [(1, ("logout",))]),
    "stacked prefixes": ("sudo -E timeout 30 nice az lock list\n", [(1, ("lock", "list"))]),
}


@pytest.mark.parametrize("script,expected", RESOLVED.values(), ids=RESOLVED.keys())
def test_string_form_is_resolved(script, expected):
    assert calls(script) == expected
    assert spots(script) == []


FLAGGED = {
    "eval of a run-time string": ('CMD=$(cat cmd.txt)\neval "$CMD"\n', 2, "eval runs a string"),
    "evaluator called with a run-time string": (
        'run() { eval "$1"; }\nrun "$NEXT"\n',
        2,
        "run runs a string",
    ),
    "eval of an assignment with a command after it": (
        'eval "$NAME=1 $CMD"\n',
        1,
        "eval runs a string",
    ),
    "argument or a default, called with a run-time string": (
        'check() {\n  CMD="az group list"\n  [ -n "$1" ] && CMD=$1\n  $CMD\n}\ncheck "$NEXT"\n',
        6,
        "check runs a string",
    ),
    "variable command set at run time": ("read -r CMD\n$CMD\n", 2, "program comes from $CMD"),
    "bash -c of a variable": ('bash -c "$SCRIPT"\n', 1, "bash -c runs a string"),
    "here-string of a variable": ('bash <<< "$SCRIPT"\n', 1, "runs a string"),
    "sourced script not found": (
        "source ./missing-lib.sh\naz group list\n",
        1,
        "not found next to",
    ),
    "sourced path from a variable": ('. "$LIB_DIR"\n', 1, "not found next to"),
    "evaluator nobody calls": ('run() { eval "$1"; }\n', 1, "nothing here calls it"),
    "script downloaded and run": ("bash <(curl -s https://example.invalid/x)\n", 1, "runs <(curl"),
    "script piped into a shell": ("curl -s https://example.invalid/x | sudo bash\n", 1, "pipe"),
    "script run that is not here": ("./missing-step.sh --all\n", 1, "runs ./missing-step.sh"),
}


@pytest.mark.parametrize("script,line,reason", FLAGGED.values(), ids=FLAGGED.keys())
def test_string_form_is_flagged_with_its_line(script, line, reason):
    found = spots(script)
    assert any(n == line and reason in why for n, why in found), found
    assert all("[keep]" in why or "nothing here calls" in why for _, why in found)


def test_eval_with_a_runtime_path_word_is_flagged_inside_eval():
    ((line, why),) = spots('eval "az $SUB list"\n')
    assert line == 1 and "<SUB>" in why and "inside eval" in why


def test_source_of_a_sibling_is_analysed_with_its_own_lines(tmp_path):
    (tmp_path / "lib.sh").write_text(
        '#!/bin/bash\nkv() {\n  az keyvault "$@"\n}\naz account show\n'
    )
    main = tmp_path / "main.sh"
    main.write_text('#!/bin/bash\nsource "$(dirname "$0")/lib.sh"\nkv secret list --vault-name v\n')
    result = scan_file(main)
    found = {(c.file.rsplit("/", 1)[-1], c.line, c.words) for c in result.calls}
    assert found == {
        ("main.sh", 3, ("keyvault", "secret", "list")),
        ("lib.sh", 5, ("account", "show")),
    }
    assert result.unresolved == ()


def test_scripts_run_by_bash_or_by_path_are_analysed(tmp_path):
    (tmp_path / "step.sh").write_text("#!/bin/bash\naz group list\n")
    main = tmp_path / "main.sh"
    main.write_text("#!/bin/bash\nbash step.sh\n./step.sh\n")
    result = scan_file(main)
    assert [(Path(c.file).name, c.line, c.via) for c in result.calls] == [
        ("step.sh", 2, ("bash",))
    ]  # the same file twice: one call, its own line
    assert result.unresolved == ()


def test_script_run_by_a_path_with_a_runtime_prefix_is_found_by_its_tail(tmp_path):
    scripts = tmp_path / "deploy" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "step.sh").write_text("az group list\n")
    main = scripts / "main.sh"
    main.write_text('"${REPO_PATH}/deploy/scripts/step.sh" --all\n"$X/gone/missing.sh"\n')
    result = scan_file(main)
    assert [(Path(c.file).name, c.words) for c in result.calls] == [("step.sh", ("group", "list"))]
    ((line, why),) = [(u.line, u.reason) for u in result.unresolved]
    assert line == 2 and why.startswith('runs "$X/gone/missing.sh", not found next to')


def test_source_found_in_a_search_dir(tmp_path):
    (tmp_path / "recipe").mkdir()
    (tmp_path / "recipe" / "common.sh").write_text("az group list\n")
    script = tmp_path / "sub" / "job.sh"
    script.parent.mkdir()
    script.write_text(". common.sh\n")
    assert [c.words for c in scan_file(script).calls] == []
    assert [c.words for c in scan_file(script, [tmp_path / "recipe"]).calls] == [("group", "list")]


def test_source_relative_to_the_project_root_is_found_above_the_script(tmp_path):
    """A script run from its project's root (`./scripts/deploy.sh`) sources `./scripts/x.sh`
    or `../lib/x.sh` relative to that root: found in the folders above the script."""
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    (tmp_path / "lib").mkdir()
    (root / "scripts" / "common.sh").write_text('kv() { az keyvault "$@"; }\n')
    (tmp_path / "lib" / "net.sh").write_text("az network vnet list\n")
    script = root / "scripts" / "deploy.sh"
    script.write_text(". ./scripts/common.sh\nsource ../lib/net.sh\nkv list\n")
    result = scan_file(script)
    assert sorted((Path(c.file).name, c.words) for c in result.calls) == [
        ("deploy.sh", ("keyvault", "list")),
        ("net.sh", ("network", "vnet", "list")),
    ]
    assert result.unresolved == ()


def test_external_commands_behind_wrappers_and_in_pipelines():
    script = (
        "#!/bin/bash\n"
        "deploy() { echo hi; }\n"
        "curl -sS https://x | jq -r .id | xargs -n1 timeout 5 wget\n"
        "env A=1 sudo -E terraform apply\n"
        "deploy; az group list; ./local.sh; cd /tmp; /usr/bin/git status\n"
    )
    result = scan_text(script, "c.sh")
    names = [(e.name, e.where) for e in result.external]
    assert names == [
        ("curl", "c.sh:3"),
        ("jq", "c.sh:3"),
        ("xargs", "c.sh:3"),
        ("timeout", "c.sh:3"),
        ("wget", "c.sh:3"),
        ("env", "c.sh:4"),
        ("sudo", "c.sh:4"),
        ("terraform", "c.sh:4"),
        ("git", "c.sh:5"),
    ]
    assert all(isinstance(e, ExternalCommand) for e in result.external)


def test_a_heredoc_fed_to_a_shell_is_code_up_to_its_delimiter():
    script = (
        "#!/bin/bash\nbash <<'EOF'\naz group list\nbc -l\nEOF\nsh <<-END\n\taz vm list\n\tEND\n"
    )
    result = scan_text(script, "h.sh")
    assert [(c.line, c.words) for c in result.calls] == [
        (3, ("group", "list")),
        (7, ("vm", "list")),
    ]
    assert {(e.name, e.where) for e in result.external} == {
        ("bash", "h.sh:2"),
        ("bc", "h.sh:4"),
        ("sh", "h.sh:6"),
    }  # never the delimiters EOF / END


def test_syntax_error_names_shfmts_cause_and_keeps_later_calls():
    script = "az group list\nfi\naz vm list\n" + "echo ok\n" * 4
    result = scan_text(script, "b.sh")
    assert [(c.line, c.words) for c in result.calls] == [
        (1, ("group", "list")),
        (3, ("vm", "list")),
    ]
    (spot,) = result.unresolved
    assert spot.line == 2 and "syntax error at line 2" in spot.reason and "`fi`" in spot.reason


def test_valid_bash_tree_sitter_rejected_parses_cleanly():
    script = (
        'az vm list --query "[?tags.x==``null``].id" -o tsv\n'
        'if [[ $code != @("200"|"302") ]]; then az group list; fi\n'
        "az account show\n"
    )
    result = scan_text(script)
    assert [c.line for c in result.calls] == [1, 2, 3]
    assert result.unresolved == ()
