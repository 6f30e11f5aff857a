"""Cluster runs on a LocalCluster: sharded JSONL, CSV and Parquet in, partitions out, a killed worker, reruns."""

from __future__ import annotations

import csv
import gzip
import json
import logging
import os
import signal
import socket
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import dask

from unspin import InputError
from unspin.batch import BatchStats, NoProgress
from unspin.cli import main
from unspin.cluster import ClusterJob, OutputFolder, run_job
from unspin.cluster.plan import SHARD_GLOBS, find_shards, plan_partitions, shard_format
from unspin.cluster.worker import count_shard, read_partition
from unspin.formats.inputs import ReadOptions

pytestmark = pytest.mark.slow  # Dask clusters in subprocesses

SENTENCES = (
    "The West has launched an unprecedented sanctions pressure on ordinary families.",
    "Brussels bureaucrats lecture us about sacrifice while they never pay a heating bill.",
    "Either we stand together now, or we freeze in the dark next winter.",
    "Every true patriot knows that our country will never bow to blackmail.",
    "The ministers met again on Tuesday to discuss the gas price cap.",
)


def article(i: int, paragraphs: int = 2) -> str:
    """A unique article; its paragraphs span lines, as CSV fields often do."""
    return "\n\n".join(f"{SENTENCES[(i + k) % len(SENTENCES)]} Report {i}, part {k}." for k in range(paragraphs))


def write_jsonl(path: Path, ids: list[str], extra: str = "") -> None:
    lines = [json.dumps({"id": i, "text": article(zlib.crc32(i.encode()))}) for i in ids]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")


@pytest.fixture
def shards(tmp_path: Path) -> Path:
    """12 good records in four shards of three formats, and three bad ones."""
    folder = tmp_path / "shards"
    (folder / "more").mkdir(parents=True)
    write_jsonl(folder / "a.jsonl", ["a0", "a1", "a2", "a3"], extra="\nnot json\n")
    with (folder / "b.csv").open("w", encoding="utf-8", newline="") as stream:
        rows = csv.writer(stream)
        rows.writerows(
            [["id", "text"], ["b0", article(10)], ["b1", article(11)], ["b2", "too", "many"], ["b3", article(13)]]
        )
    pq.write_table(
        pa.table({"id": ["c0", "c1", "c2"], "text": [article(20), None, article(22)]}),
        folder / "more" / "c.parquet",
        row_group_size=2,
    )
    with gzip.open(folder / "more" / "d.jsonl.gz", "wt", encoding="utf-8") as stream:
        stream.writelines(json.dumps({"id": f"d{i}", "text": article(30 + i)}) + "\n" for i in range(3))
    (folder / "notes.txt").write_text("not a shard", encoding="utf-8")
    return folder


GOOD = {"a0", "a1", "a2", "a3", "b0", "b1", "b3", "c0", "c2", "d0", "d1", "d2"}


def result_ids(output: Path) -> list[str]:
    return [
        json.loads(line)["article"]["id"]
        for part in sorted((output / "analyses").glob("part-*.jsonl"))
        for line in part.read_text(encoding="utf-8").splitlines()
    ]


def error_names(output: Path) -> list[str]:
    return [
        json.loads(line)["name"]
        for part in sorted((output / "errors").glob("*.jsonl"))
        for line in part.read_text(encoding="utf-8").splitlines()
    ]


# ---------------------------------------------------------------------------- planning, without a cluster


def test_shards_are_found_in_folders_and_globs_but_not_in_the_output(shards: Path) -> None:
    (shards / ".hidden.jsonl").write_text("{}\n", encoding="utf-8")
    (shards / "out" / "analyses").mkdir(parents=True)
    (shards / "out" / "analyses" / "part-00000.jsonl").write_text("{}\n", encoding="utf-8")
    found = find_shards([str(shards), str(shards / "*.jsonl")], SHARD_GLOBS, exclude=str(shards / "out"))
    assert [Path(f).relative_to(shards).as_posix() for f in found] == [
        "a.jsonl",
        "b.csv",
        "more/c.parquet",
        "more/d.jsonl.gz",
    ]
    assert [shard_format(f, ReadOptions()) for f in found] == ["jsonl", "csv", "parquet", "jsonl"]
    with pytest.raises(InputError, match="no such file"):
        find_shards([str(shards / "missing")], SHARD_GLOBS)
    with pytest.raises(InputError, match="a cluster run reads JSONL, CSV and Parquet"):
        shard_format(str(shards / "notes.txt"), ReadOptions())


@pytest.mark.parametrize("rows", [1, 2, 100])
def test_partitions_read_every_record_exactly_once(shards: Path, rows: int) -> None:
    sources = find_shards([str(shards)], SHARD_GLOBS)
    formats = [shard_format(s, ReadOptions()) for s in sources]
    counts = [count_shard(s, f, ReadOptions()) for s, f in zip(sources, formats, strict=True)]
    assert counts == [6, 4, 3, 3]  # JSONL counts its blank line; CSV rows span lines
    whole = [
        d.name
        for s, f in zip(sources, formats, strict=True)
        for d in read_partition(plan_partitions([(s, f, None)], 1)[0], ReadOptions())
    ]
    partitions = plan_partitions(list(zip(sources, formats, counts, strict=True)), rows)
    assert [d.name for p in partitions for d in read_partition(p, ReadOptions())] == whole
    assert len(whole) == len(GOOD) + 3


def test_an_output_folder_holding_something_else_is_refused(tmp_path: Path) -> None:
    folder = OutputFolder(str(tmp_path / "out"))
    assert folder.start({"partitions": [["part-00000", "a.jsonl", 0, None]]}) == {}
    with pytest.raises(InputError, match="holds the results of another job"):
        folder.start({"partitions": [["part-00000", "b.jsonl", 0, None]]})
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="not empty and holds no unspin results"):
        OutputFolder(str(tmp_path / "notes")).start({"partitions": []})


# ---------------------------------------------------------------------------- on a local cluster


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    """Two single-threaded worker processes, shared by the tests below (the kill test runs last)."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def models_loaded() -> int:
    """Run on a worker: how many model bundles it holds."""
    from unspin.cluster import worker

    return len(worker._BUNDLES)


def test_jsonl_csv_and_parquet_shards_give_each_record_once_and_reruns_skip_finished_partitions(
    client: distributed.Client, shards: Path, tmp_path: Path, model_path: Path
) -> None:
    output = tmp_path / "out"
    job = ClusterJob(inputs=(str(shards),), output=str(output), model=str(model_path), partition_rows=2)
    result = run_job(job, client)
    assert (result.stats.analysed, result.stats.failed, result.partitions) == (12, 3, 9)
    assert sorted(result_ids(output)) == sorted(GOOD)
    assert sorted(Path(n).name for n in error_names(output)) == ["a.jsonl:6", "b.csv:8", "c.parquet:2"]
    manifest = json.loads((output / "_manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] and manifest["totals"]["analysed"] == 12
    assert not (output / "_tmp").exists()
    assert set(client.run(models_loaded).values()) == {1}, "each worker loads the model once"

    finished = {p: p.stat().st_mtime_ns for p in (output / "analyses").iterdir()}
    rerun = run_job(job, client)
    assert (rerun.stats.analysed, rerun.stats.skipped, rerun.finished_before) == (0, 15, 9)
    assert {p: p.stat().st_mtime_ns for p in (output / "analyses").iterdir()} == finished

    (output / "_done" / "part-00001.json").unlink()  # as if the run had been stopped before part-00001
    (output / "analyses" / "part-00001.jsonl").unlink()
    half = run_job(job, client)
    assert (half.stats.analysed, half.finished_before) == (2, 8)
    assert sorted(result_ids(output)) == sorted(GOOD)


def test_parquet_results_are_an_article_table_and_a_span_table(
    client: distributed.Client, shards: Path, tmp_path: Path, model_path: Path
) -> None:
    example = (Path(__file__).resolve().parents[1] / "examples" / "article-en.txt").read_text(encoding="utf-8")
    pq.write_table(pa.table({"id": ["e0"], "text": [example]}), shards / "more" / "example.parquet")
    output = tmp_path / "out"
    job = ClusterJob(
        inputs=(str(shards / "more"),), output=str(output), format="parquet", model=str(model_path), threshold=0.0
    )
    assert run_job(job, client).stats.analysed == 6
    articles, spans = pq.read_table(output / "articles"), pq.read_table(output / "spans")
    assert sorted(articles.column("id").to_pylist()) == ["c0", "c2", "d0", "d1", "d2", "e0"]
    assert spans.num_rows and set(spans.column("content_hash").to_pylist()) <= set(
        articles.column("content_hash").to_pylist()
    )


def analyze(*args: str | Path) -> int:
    return main(["analyze", *map(str, args)])


def assert_one_line_error(err: str, *expected: str) -> None:
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and all(e in last for e in expected), err


def test_the_cli_reports_a_corrupt_shard_and_bad_rows_and_completes_the_rest(
    client: distributed.Client, tmp_path: Path, model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    write_jsonl(shards / "good.jsonl", ["g0", "g1"], extra="[1, 2]\n")
    (shards / "corrupt.parquet").write_bytes(b"PAR1 this is not parquet")
    (shards / "cut.jsonl.gz").write_bytes(gzip.compress(b'{"text": "They lie."}\n' * 50)[:40])
    output = tmp_path / "out"
    code = analyze(shards, "--cluster", client.scheduler.address, "--model", model_path, "-o", output)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "corrupt.parquet: not a readable Parquet file" in err
    assert "cut.jsonl.gz" in err and "good.jsonl:3: expected a JSON object" in err
    assert "analysed 2 documents" in err
    assert sorted(result_ids(output)) == ["g0", "g1"]


def test_a_worker_without_the_model_is_one_clear_error(
    client: distributed.Client, shards: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-model"
    assert analyze(shards, "--cluster", client.scheduler.address, "--model", missing, "-o", tmp_path / "out") == 1
    assert_one_line_error(capsys.readouterr().err, "cannot load the model", str(missing), "every worker needs")


def test_an_unreachable_scheduler_is_one_clear_error(
    shards: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{free.getsockname()[1]}"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        assert analyze(shards, "--cluster", address, "-o", tmp_path / "out") == 1
    assert_one_line_error(capsys.readouterr().err, f"cannot reach a Dask scheduler at {address}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cluster", "tcp://127.0.0.1:1"], "name it with --output DIR"),
        (["--cluster", "somewhere", "-o", "out"], "give a scheduler address"),
        (["--cluster", "local:1", "-o", "out", "--format", "csv"], "jsonl or parquet"),
        (["--cluster", "local:1", "-o", "out", "--no-resume"], "remove the --output folder"),
        (["--cluster", "local:1", "-o", "out", "--errors", "e.jsonl"], "DIR/errors/"),
    ],
)
def test_options_a_cluster_run_cannot_honour_are_usage_errors(
    args: list[str], message: str, shards: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert analyze(shards, *args) == 2
    assert_one_line_error(capsys.readouterr().err, message)


def test_local_n_starts_a_cluster_for_the_run(
    tmp_path: Path, model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    write_jsonl(shards / "one.jsonl", ["x0"])
    assert analyze(shards, "--cluster", "local:1", "--model", model_path, "-o", tmp_path / "out") == 0
    assert "analysed 1 documents" in capsys.readouterr().err
    assert result_ids(tmp_path / "out") == ["x0"]


def test_a_local_cluster_listens_on_loopback_only() -> None:
    """The dashboard and the workers take no authentication: local:N must not bind 0.0.0.0."""
    import psutil

    from unspin.cluster import connect

    def listening(process: psutil.Process) -> set:
        return {c.laddr for c in process.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}

    with connect("local:1") as client:
        assert client.dashboard_link.startswith("http://127.0.0.1:")
        assert client.scheduler.address.startswith("tcp://127.0.0.1:")
        ports = {int(client.dashboard_link.split(":")[2].split("/")[0]), int(client.scheduler.address.split(":")[2])}
        scheduler = {a for a in listening(psutil.Process()) if a.port in ports}  # this process: the scheduler's
        workers = {a for p in psutil.Process().children(recursive=True) for a in listening(p)}
    assert {a.port for a in scheduler} == ports and workers
    assert {a.ip for a in scheduler | workers} == {"127.0.0.1"}


def test_shards_and_results_behind_fsspec_urls(
    shards: Path, model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """memory:// stands for s3:// and the like; it is per process, hence a cluster of threads here."""
    import fsspec

    memory = fsspec.filesystem("memory")
    memory.put(str(shards / "a.jsonl"), "/in/a.jsonl")
    memory.put(str(shards / "b.csv"), "/in/b.csv")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster:
        code = analyze(
            "memory://in",
            "--cluster",
            cluster.scheduler_address,
            "--model",
            model_path,
            "-o",
            "memory://out",
            "--partition-size",
            "3",
        )
    assert code == 1 and "analysed 7 documents" in capsys.readouterr().err  # and two bad records
    ids = [
        json.loads(line)["article"]["id"]
        for path in sorted(memory.find("/out/analyses"))
        for line in memory.cat_file(path).decode().splitlines()
    ]
    assert sorted(ids) == ["a0", "a1", "a2", "a3", "b0", "b1", "b3"]
    assert not memory.exists("/out/_tmp")
    memory.rm("/in", recursive=True)
    memory.rm("/out", recursive=True)


# ---------------------------------------------------------------------------- a worker killed mid-run


class KillABusyWorker(NoProgress):
    """Once the first partition is in, SIGKILL a worker process that is running another one."""

    def __init__(self, client: distributed.Client) -> None:
        super().__init__()
        self.client = client
        self.killed: tuple[str, list[str]] | None = None

    def update(self, stats: BatchStats) -> None:
        busy = [(w, k) for w, k in self.client.processing().items() if k]
        if self.killed is None and stats.analysed and busy:
            worker, keys = busy[0]
            pid = self.client.run(os.getpid, workers=[worker])[worker]
            os.kill(pid, signal.SIGKILL)
            self.killed = worker, list(keys)


def test_a_worker_killed_mid_run_loses_nothing_and_duplicates_nothing(
    client: distributed.Client, tmp_path: Path, model_path: Path
) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    ids = [f"k{i:02d}" for i in range(32)]
    with (shards / "big.jsonl").open("w", encoding="utf-8") as stream:
        stream.writelines(
            json.dumps({"id": i, "text": article(100 + n, paragraphs=6)}) + "\n" for n, i in enumerate(ids)
        )
    output = tmp_path / "out"
    killer = KillABusyWorker(client)
    result = run_job(
        ClusterJob(inputs=(str(shards),), output=str(output), model=str(model_path), partition_rows=4), client, killer
    )
    assert killer.killed is not None and killer.killed[1], "no worker was running a partition"
    assert result.stats.analysed == len(ids)
    found = Counter(result_ids(output))
    assert sorted(found) == ids and set(found.values()) == {1}
    assert len(list((output / "analyses").iterdir())) == len(list((output / "_done").iterdir())) == 8
    assert not (output / "_tmp").exists()
