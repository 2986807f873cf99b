"""``annotate --dask``: the engine on a real Dask LocalCluster of 2 worker processes.

The cluster's scheduler runs in this process and its workers are separate processes (each under a
nanny that restarts it when it dies). The CLI tests reach it by address, as a user reaches a
remote scheduler; one test starts its own through ``--dask local:2``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="needs the dask extra: pip install -e '.[dask]'")

from distributed import Client, LocalCluster  # noqa: E402

from annotator.cli import main  # noqa: E402
from annotator.corpus import annotated as corpus_annotated  # noqa: E402
from annotator.corpus import read_corpus  # noqa: E402
from annotator.engine import (  # noqa: E402
    Annotator,
    annotate_partition,
    annotate_stream,
    cluster,
)
from annotator.engine.cluster import annotate_on_cluster  # noqa: E402
from annotator.engine.documents import split_documents  # noqa: E402
from annotator.model import Example  # noqa: E402
from annotator.rules import load_pack  # noqa: E402
from tests.packs import DEFAULT_HEADER, write_pack  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "rules" / "starter"
SEED_LINES = [
    json.loads(line)["text"]
    for line in (ROOT / "seeds" / "libya-news-2021.jsonl").read_text("utf-8").splitlines()
]
AR_NEWS = ROOT / "rules" / "ar-news"

pytestmark = pytest.mark.slow


@contextmanager
def local_client(workers: int) -> Iterator[Client]:
    """A LocalCluster of ``workers`` single-threaded worker processes on 127.0.0.1, and a client of it."""
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            scheduler_kwargs={"dashboard": False},
        ) as local,
        Client(local, set_as_default=False) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Client]:
    """The module's cluster: 2 worker processes."""
    with local_client(2) as client:
        yield client


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,300 plain lines (each of the 11 seed paragraphs 300 times: repeated texts get -2, -3 ... ids) and
    1,100 JSON lines grouped into 5-paragraph documents, with meta."""
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "a.txt").write_text("\n".join(SEED_LINES * 300) + "\n", encoding="utf-8")
    with (folder / "b.jsonl").open("w", encoding="utf-8") as handle:
        for number in range(1100):
            record = {
                "id": f"art{number // 5}-p{number % 5}",
                "text": SEED_LINES[number % len(SEED_LINES)],
                "doc": f"art{number // 5}",
                "meta": {"source": "seed", "n": number},
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return folder


@pytest.fixture(scope="module")
def local_output(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """What the local run writes for ``corpus``."""
    out = tmp_path_factory.mktemp("local") / "pre.jsonl"
    assert main(["annotate", str(corpus), "--rules", str(STARTER), "-o", str(out), "-q"]) == 0
    return out.read_bytes()


def address(client: Client) -> str:
    return client.scheduler.address


def test_dask_run_writes_byte_for_byte_the_local_output(
    dask_client: Client, corpus: Path, local_output: bytes, tmp_path: Path
) -> None:
    out = tmp_path / "pre.jsonl"
    args = ["annotate", str(corpus), "--rules", str(STARTER), "-o", str(out), "-q"]
    assert main([*args, "--dask", address(dask_client)]) == 0
    assert len(local_output.splitlines()) == 4400
    assert out.read_bytes() == local_output


def test_dask_local_n_starts_its_own_cluster_and_writes_the_same_bytes(
    corpus: Path, local_output: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pre.jsonl"
    code = main(["annotate", str(corpus), "--rules", str(STARTER), "-o", str(out), "--dask", "local:2"])
    assert code == 0
    assert out.read_bytes() == local_output
    assert "on Dask local:2" in capsys.readouterr().out


def test_each_task_gets_whole_documents_and_the_output_equals_the_local_one_with_propagation(
    dask_client: Client, corpus: Path
) -> None:
    class Recording:
        """The real client, with every partition it is asked to run written down."""

        def __init__(self, client: Client) -> None:
            self._client = client
            self.sent: list[list[list[Example]]] = []

        def submit(self, function, plugin, part, **kwargs):  # type: ignore[no-untyped-def]
            self.sent.append(part)
            return self._client.submit(function, plugin, part, **kwargs)

        def __getattr__(self, name: str) -> object:
            return getattr(self._client, name)

    annotator = Annotator(load_pack(AR_NEWS))  # a pack whose propagate rule works across a document
    assert annotator.pack.propagates
    examples = list(read_corpus([corpus / "b.jsonl"]))[:300]
    recording = Recording(dask_client)
    # 7 examples per partition would cut every second 5-paragraph article in two
    result = list(annotate_on_cluster(recording, annotator, examples, partition_examples=7))  # type: ignore[arg-type]
    assert result == list(annotate_stream(annotator, examples))
    where = {e.id: index for index, part in enumerate(recording.sent) for doc in part for e in doc}
    for document in split_documents(examples, annotator.pack.documents):
        assert len(document) == 5 and len({where[e.id] for e in document}) == 1


def test_a_worker_killed_during_the_run_loses_and_duplicates_nothing(
    dask_client: Client, corpus: Path, local_output: bytes
) -> None:
    expected = [json.loads(line) for line in local_output.splitlines()]
    pids = dask_client.run(os.getpid)
    stream = annotate_on_cluster(
        dask_client, load_pack(STARTER), read_corpus([corpus]), partition_examples=200
    )
    taken: list[Example] = []
    victim: str | None = None
    for example in stream:
        taken.append(example)
        if victim is None and len(taken) == 400:
            victim = _busy_worker(dask_client)
            os.kill(pids[victim], signal.SIGKILL)
    assert victim is not None
    got = [{"id": e.id, "spans": [s.to_json() for s in e.spans]} for e in taken]
    assert got == [{"id": r["id"], "spans": r["spans"]} for r in expected]
    # the nanny replaced the killed process; the dead one is no longer a worker
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(dask_client.nthreads()) < 2:
        time.sleep(0.2)
    assert pids[victim] not in dask_client.run(os.getpid).values()


def _busy_worker(client: Client) -> str:
    """A worker that is running a partition of the run, or holds a result not yet taken."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for held in (client.processing(), client.has_what()):  # running, or finished and not yet taken
            for worker, keys in held.items():
                if any(str(key).startswith("annotate-") for key in keys):
                    return worker
        time.sleep(0.01)
    raise AssertionError("no worker had any partition of the run to lose")


def _error_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("error:"))


def test_a_bad_input_line_is_named_as_the_local_run_names_it(
    dask_client: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    lines = [json.dumps({"text": SEED_LINES[n % len(SEED_LINES)]}, ensure_ascii=False) for n in range(2000)]
    lines[1499] = '{"text": "ليبيا", '
    (folder / "c.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    base = ["annotate", str(folder), "--rules", str(STARTER), "-q"]
    local_code = main([*base, "-o", str(tmp_path / "local.jsonl")])
    local_error = _error_line(capsys.readouterr().err)
    dask_code = main([*base, "-o", str(tmp_path / "dask.jsonl"), "--dask", address(dask_client)])
    dask_error = _error_line(capsys.readouterr().err)
    assert local_code == dask_code == 4
    assert dask_error == local_error
    assert "c.jsonl:1500: not valid JSON" in dask_error
    assert not (tmp_path / "dask.jsonl").exists() and not (tmp_path / "local.jsonl").exists()


def test_an_example_that_fails_on_a_worker_is_named_as_the_local_run_names_it(
    dask_client: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = DEFAULT_HEADER + "match_timeout: 0.2\n"
    rules = "rules:\n  - id: evil.backtracking\n    kind: regex\n    label: ORG\n    pattern: '(?:a|a)+b'\n"
    pack = write_pack(tmp_path / "pack", {"rules.yaml": rules}, header)
    corpus = tmp_path / "in.jsonl"
    lines = [json.dumps({"id": f"line-{n}", "text": "ليبيا " * 5}, ensure_ascii=False) for n in range(1200)]
    lines[700] = json.dumps({"id": "the-bad-one", "text": "a" * 40})
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    base = ["annotate", str(corpus), "--rules", str(pack), "-q"]
    local_code = main([*base, "-o", str(tmp_path / "local.jsonl")])
    local_error = _error_line(capsys.readouterr().err)
    dask_code = main([*base, "-o", str(tmp_path / "dask.jsonl"), "--dask", address(dask_client)])
    dask_error = _error_line(capsys.readouterr().err)
    assert local_code == dask_code == 9
    assert dask_error == local_error
    assert "rule evil.backtracking" in dask_error and "on example the-bad-one" in dask_error
    assert not (tmp_path / "dask.jsonl").exists()


def test_the_partition_function_runs_in_dask_bag_map_partitions(dask_client: Client) -> None:
    """The pattern the docs give for Spark's mapPartitions and Ray, on Dask's own bag."""
    import dask.bag

    pack = load_pack(STARTER)
    examples = [Example(f"e{n}", line) for n, line in enumerate(SEED_LINES * 20)]
    bag = dask.bag.from_sequence(examples, npartitions=6)
    annotated = bag.map_partitions(lambda part: list(annotate_partition(pack, part)))
    result = dask_client.compute(annotated).result()
    assert result == list(annotate_stream(pack, examples))
    assert sum(len(e.spans) for e in result) > 0


def test_dask_and_workers_together_are_a_usage_error(tmp_path: Path) -> None:
    args = ["annotate", str(ROOT / "seeds"), "--rules", str(STARTER), "-o", str(tmp_path / "o.jsonl")]
    assert main([*args, "--workers", "2", "--dask", "local:2"]) == 2
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize("value", ["local:0", "local:two", "local:"])
def test_a_bad_local_worker_count_is_refused_before_anything_starts(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["annotate", str(ROOT / "seeds"), "--rules", str(STARTER), "-o", str(tmp_path / "o.jsonl")]
    assert main([*args, "--dask", value]) == 10
    assert "number of local workers" in capsys.readouterr().err


def test_an_unreachable_scheduler_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.ports import free_port

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2.0)
    where = f"tcp://127.0.0.1:{free_port()}"
    args = ["annotate", str(ROOT / "seeds"), "--rules", str(STARTER), "-o", str(tmp_path / "o.jsonl")]
    assert main([*args, "--dask", where]) == 10
    err = capsys.readouterr().err
    assert f"no Dask scheduler answers at {where}" in err and "dask scheduler" in err
    assert not (tmp_path / "o.jsonl").exists()


def test_without_the_dask_extra_the_option_says_what_to_install(tmp_path: Path) -> None:
    # in a process of its own whose import system has no dask (this one runs a cluster)
    script = (
        "import sys; sys.modules['distributed'] = None; sys.modules['dask'] = None\n"
        "from annotator.cli import main\n"
        f"sys.exit(main(['annotate', {str(ROOT / 'seeds')!r}, '--rules', {str(STARTER)!r}, "
        f"'-o', {str(tmp_path / 'o.jsonl')!r}, '--dask', 'local:2']))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 10, done.stderr
    assert "needs the optional dask extra" in done.stderr and ".[dask]" in done.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_a_cluster_without_workers_fails_after_the_timeout_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cluster, "CHECK_EVERY", 0.2)
    with (
        LocalCluster(
            n_workers=0,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            scheduler_kwargs={"dashboard": False},
        ) as empty,
        Client(empty, set_as_default=False) as client,
    ):
        examples = [Example(f"e{n}", line) for n, line in enumerate(SEED_LINES)]
        stream = annotate_on_cluster(client, load_pack(STARTER), examples, no_workers_timeout=1.0)
        began = time.monotonic()
        with pytest.raises(cluster.ClusterError, match="has had no worker for 1 s"):
            next(stream)
        assert time.monotonic() - began < 30


def test_losing_the_scheduler_mid_run_stops_with_a_clear_error_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.ports import free_port

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 3.0)
    dask_cli = str(Path(sys.executable).with_name("dask"))
    where = f"tcp://127.0.0.1:{free_port()}"
    started = [
        subprocess.Popen(
            [
                dask_cli,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                where.rsplit(":", 1)[1],
                "--no-dashboard",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        started.append(
            subprocess.Popen(
                [dask_cli, "worker", where, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        with Client(where, timeout=30, set_as_default=False) as probe:
            probe.wait_for_workers(1, timeout=60)
        corpus = tmp_path / "in.txt"
        corpus.write_text("\n".join(SEED_LINES * 1000) + "\n", encoding="utf-8")
        scheduler = started[0]

        def reading(paths: list[Path], *rest: object) -> Iterator[Example]:
            """The corpus; the scheduler is killed once 2,500 examples were read (a third of it)."""
            for count, example in enumerate(read_corpus(paths, *rest)):  # type: ignore[arg-type]
                if count == 2500:
                    scheduler.kill()
                yield example

        monkeypatch.setattr(corpus_annotated, "read_corpus", reading)
        out = tmp_path / "o.jsonl"
        code = main(["annotate", str(corpus), "--rules", str(STARTER), "-o", str(out), "--dask", where])
        assert code == 10
        assert f"lost the Dask scheduler at {where}" in capsys.readouterr().err
        assert not out.exists()
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_partition_that_kills_every_worker_it_runs_on_stops_the_run_naming_its_examples() -> None:
    # a real KilledWorker: the task ends its worker process each of the 4 times Dask runs it; on a
    # cluster of its own, so that the module's cluster is not left waiting for its nannies to
    # bring workers back (CI once saw one not return within 180 s after this)
    with local_client(1) as client:
        future = client.submit(os._exit, 1, pure=False)
        part = [[Example("first-one", "x")], [Example("middle", "y"), Example("last-one", "z")]]  # documents
        with pytest.raises(cluster.ClusterError) as stopped:
            cluster._result(client, future, part, no_workers_timeout=120)
    assert "workers kept dying while they ran the partition of examples first-one .. last-one" in str(
        stopped.value
    )


def _count_compiles() -> None:
    """On a worker: count every ``Annotator`` built from a pack from now on."""
    from annotator import engine

    real = engine.Annotator.__init__

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        engine._compiles_seen += 1  # type: ignore[attr-defined]
        real(self, *args, **kwargs)

    engine._compiles_seen = 0  # type: ignore[attr-defined]
    engine._real_init = real  # type: ignore[attr-defined]
    engine.Annotator.__init__ = counting  # type: ignore[method-assign]


def _compiles_and_restore() -> int:
    from annotator import engine

    engine.Annotator.__init__ = engine._real_init  # type: ignore[attr-defined, method-assign]
    return engine._compiles_seen  # type: ignore[attr-defined]


def test_the_pack_is_compiled_once_in_the_client_and_never_on_a_worker(
    dask_client: Client, corpus: Path, local_output: bytes
) -> None:
    # every worker there is counts (one killed by an earlier test may still be on its way back)
    dask_client.wait_for_workers(1, timeout=180)
    dask_client.run(_count_compiles)
    try:
        result = list(annotate_on_cluster(dask_client, load_pack(STARTER), read_corpus([corpus])))
    finally:
        compiles = dask_client.run(_compiles_and_restore)
    assert compiles and set(compiles.values()) == {0}
    assert len(result) == len(local_output.splitlines())
