"""Every ``unspin corpus`` command shown in README.md and docs/corpus.md runs on the demo corpus and answers.

The commands are read from the files' shell code blocks, so an example that stops working,
or that answers nothing on the corpus ``unspin corpus demo`` loads, fails here. Each runs
in-process (``unspin.cli.main``) on one demo store built for the session, from a scratch
folder that holds the ``results.jsonl`` the import example reads.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from unspin.cli import main
from unspin.store import Store
from unspin.store.demo import demo_analyses
from unspin.store.narratives import build_narratives

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = (ROOT / "README.md", ROOT / "docs" / "corpus.md")
FENCE = re.compile(r"^```(?:bash|sh|shell)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def corpus_commands(path: Path) -> list[list[str]]:
    """The ``unspin corpus ...`` commands of a file's shell blocks, as argument lists (comments and ``&&`` split off)."""
    commands = []
    for block in FENCE.findall(path.read_text(encoding="utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            command: list[str] = []
            for word in [*words, "&&"]:
                if word != "&&":
                    command.append(word)
                    continue
                if command[:2] == ["unspin", "corpus"]:
                    commands.append(command[2:])
                command = []
    return commands


EXAMPLES = [(path.relative_to(ROOT).as_posix(), command) for path in DOCUMENTS for command in corpus_commands(path)]


def test_the_documents_show_the_corpus_commands() -> None:
    shown = {command[0] for _, command in EXAMPLES}
    assert {"demo", "report", "import", "rates", "trend", "compare", "phrases", "narratives", "search"} <= shown


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("docs-demo") / "corpus.db"
    with Store(path) as store:
        store.add(demo_analyses())
        build_narratives(store)
    return path


@pytest.fixture
def workdir(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch folder as the current one, the demo store as the default, and the files the examples read."""
    import json

    analyses = list(demo_analyses())[:5]
    lines = [json.dumps(a.to_dict(embedding=True), ensure_ascii=False) for a in analyses]
    (tmp_path / "results.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("UNSPIN_DB", str(demo_db))
    monkeypatch.setenv("COLUMNS", "160")
    return tmp_path


def _written(command: list[str]) -> Path | None:
    for flag in ("-o", "--output"):
        if flag in command:
            return Path(command[command.index(flag) + 1])
    return None


def _rows(out: str) -> list[str]:
    """The lines of an answer that hold data: table rows (not rules or headings), search hits, info lines."""
    lines = [line for line in out.splitlines() if line.strip()]
    table_rows = [line for line in lines if line.startswith("│") and line.strip("│ ─")]
    return table_rows if any(line[:1] in "┏┃┡└" for line in lines) else lines


@pytest.mark.parametrize(("document", "command"), EXAMPLES, ids=[" ".join(c) for _, c in EXAMPLES])
def test_each_example_runs_on_the_demo_corpus(
    document: str, command: list[str], workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["corpus", *command])
    out, err = capsys.readouterr()
    assert code == 0, f"{document}: unspin corpus {shlex.join(command)} failed:\n{err}"
    assert "nothing matches" not in err, f"{document}: unspin corpus {shlex.join(command)} answered nothing"
    written = _written(command)
    if written is not None:
        assert (workdir / written).stat().st_size > 0
    elif command[0] in ("demo", "import"):
        assert "already stored" in err  # the demo store holds them all already
    else:
        assert _rows(out), f"{document}: unspin corpus {shlex.join(command)} printed no rows:\n{out}\n{err}"
