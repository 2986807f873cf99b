"""Annotate a corpus on a Dask cluster: partitions out to the workers, results back in input order.

The calling process (the *client*) reads the corpus and writes the output; the workers only run the
engine. That keeps what a local run guarantees: ids are assigned in reading order (a repeated text's
``-2`` depends on every text before it), a bad input line is named by the same reader, and the
output is the local run's byte for byte. The pack is compiled once, here (or taken from the pack
cache), and travels once per worker, compiled, as a worker plugin: a worker unpickles it (a
fraction of a second, where compiling ar-news in a fresh process takes seconds) when the plugin
arrives, and so does any worker that joins or is restarted later. Each task then carries one
partition of whole documents and returns only its spans.

When a worker dies, the scheduler runs its partitions again elsewhere; the client takes each
partition's result exactly once, in order, so nothing is lost or written twice. Importing this
module needs the optional ``dask`` extra (``pip install -e '.[dask]'``).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from distributed import Client, Future, LocalCluster, WorkerPlugin, get_worker
from distributed.client import FutureCancelledError
from distributed.comm.core import CommClosedError
from distributed.scheduler import KilledWorker

from annotator.engine import Annotator, SpanRows, chunk_rows, document_chunks, with_spans
from annotator.engine.documents import DocumentSettings
from annotator.errors import ClusterError
from annotator.model import Example
from annotator.rules.model import RulePack

LOCAL_PREFIX = "local:"
CONNECT_TIMEOUT = 15.0
#: how long a run waits with no worker in the cluster before it gives up
NO_WORKERS_TIMEOUT = 120.0
#: how often the client looks at the cluster while it waits for a partition
CHECK_EVERY = 5.0
#: a partition's size: about half a second of ar-news on one core, where a task's round trip costs
#: 15-25 ms (bench/README.md); larger partitions leave workers idle at the end of a small corpus
PARTITION_EXAMPLES = 512
PARTITION_CHARS = 250_000


@dataclass(frozen=True)
class ClusterAddress:
    """Where to run: ``local`` worker processes on this machine, or an existing scheduler."""

    scheduler: str | None = None
    local_workers: int | None = None

    def __str__(self) -> str:
        return self.scheduler or f"{LOCAL_PREFIX}{self.local_workers}"


def parse_address(text: str) -> ClusterAddress:
    """``local:N`` (a LocalCluster of N worker processes) or a scheduler address (``tcp://host:port``)."""
    text = text.strip()
    if text.startswith(LOCAL_PREFIX):
        count = text[len(LOCAL_PREFIX) :]
        if not count.isdigit() or int(count) < 1:
            raise ClusterError(
                f"--dask {text}: the number of local workers must be a whole number of at least 1",
                hint="e.g. --dask local:2",
            )
        return ClusterAddress(local_workers=int(count))
    if not text:
        raise ClusterError("--dask needs a scheduler address or local:N", hint="e.g. --dask tcp://host:8786")
    return ClusterAddress(scheduler=text)


@contextlib.contextmanager
def connect(address: ClusterAddress, timeout: float | None = None) -> Iterator[Client]:
    """A client of the cluster; a ``local:N`` cluster is started here and stopped on exit.

    ``timeout`` (default ``CONNECT_TIMEOUT``) bounds the wait for an existing scheduler.

    Local workers are processes with one thread each: the engine is Python, so a second thread in
    a worker would only wait for the first.
    """
    if address.local_workers is not None:
        with (
            LocalCluster(
                n_workers=address.local_workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
                scheduler_kwargs={"dashboard": False},  # only the health routes, on a free port
            ) as cluster,
            Client(cluster, set_as_default=False) as client,
        ):
            yield client
        return
    try:
        client = Client(address.scheduler, timeout=timeout or CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise ClusterError(
            f"no Dask scheduler answers at {address.scheduler} ({error})",
            hint="start one with `dask scheduler` and workers with `dask worker ADDRESS --nthreads 1`, "
            "or use --dask local:N",
        ) from None
    with client:
        yield client


class PackPlugin(WorkerPlugin):
    """Holds a compiled pack on every worker, ready before the worker takes a task."""

    def __init__(self, annotator: Annotator, name: str) -> None:
        self.annotator = annotator
        self.name = name

    def setup(self, worker: object) -> None:
        self.annotator.prepare()


def _annotate_on_worker(plugin_name: str, chunk: list[list[Example]]) -> list[SpanRows]:
    """The task: one partition (whole documents) through the engine with the worker's compiled pack."""
    worker = get_worker()
    plugin = worker.plugins.get(plugin_name)
    if not isinstance(plugin, PackPlugin):
        raise ClusterError(f"the Dask worker {worker.address} does not hold the rule pack of this run")
    return chunk_rows(plugin.annotator, chunk)


def annotate_on_cluster(
    client: Client,
    pack: RulePack | Annotator,
    examples: Iterable[Example],
    partition_examples: int = PARTITION_EXAMPLES,
    partition_chars: int = PARTITION_CHARS,
    in_flight: int | None = None,
    no_workers_timeout: float = NO_WORKERS_TIMEOUT,
    documents: DocumentSettings | None = None,
) -> Iterator[Example]:
    """Annotate a stream of examples on the cluster behind ``client``; yield them in input order.

    ``pack`` is compiled here unless it is already (an ``Annotator``, e.g. from
    ``pack_cache.load_compiled``), and goes to every worker once, compiled. At most
    ``in_flight`` partitions (default: twice the cluster's threads) are out at a time, so memory
    stays bounded; the input is consumed only as results are taken. Raises what the local run
    raises for an example (``TimeLimitExceeded`` naming it), and ``ClusterError`` when the
    cluster loses the work: the scheduler goes away, a partition kills worker after worker, or no
    worker is left for ``no_workers_timeout`` s. Documents (``documents``, else the pack's own
    settings) are never split between partitions, as in ``annotate_stream``.
    """
    run = uuid.uuid4().hex[:12]
    annotator = pack if isinstance(pack, Annotator) else Annotator(pack)
    plugin = PackPlugin(annotator, f"annotator-pack-{run}")
    try:
        client.register_plugin(plugin, name=plugin.name)
    except (OSError, CommClosedError) as error:
        raise _lost_scheduler(client, error) from None
    pending: deque[tuple[list[list[Example]], Future]] = deque()
    try:
        limit = in_flight or max(2, 2 * sum(client.nthreads().values()))
        chunks = document_chunks(annotator, examples, partition_examples, partition_chars, documents)
        for index, part in enumerate(chunks):
            future = client.submit(_annotate_on_worker, plugin.name, part, key=f"annotate-{run}-{index}")
            pending.append((part, future))
            if len(pending) >= limit:
                done, head = pending.popleft()
                yield from with_spans(done, _result(client, head, done, no_workers_timeout))
        while pending:
            done, head = pending.popleft()
            yield from with_spans(done, _result(client, head, done, no_workers_timeout))
    finally:
        with contextlib.suppress(Exception):
            client.cancel([future for _, future in pending])
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(plugin.name)


def _result(
    client: Client, future: Future, part: list[list[Example]], no_workers_timeout: float
) -> list[SpanRows]:
    """The partition's spans; waits while workers come and go, fails when the cluster is gone."""
    without_workers_since: float | None = None
    while True:
        try:
            return future.result(timeout=CHECK_EVERY)
        except TimeoutError:
            pass
        except KilledWorker as error:
            raise ClusterError(
                f"Dask workers kept dying while they ran the partition of examples "
                f"{part[0][0].id} .. {part[-1][-1].id} ({error})",
                hint="these examples may exhaust a worker's memory or crash it; look at the workers' logs",
            ) from None
        except (FutureCancelledError, CommClosedError, OSError) as error:
            raise _lost_scheduler(client, error) from None
        try:
            workers = len(client.nthreads())
        except (OSError, CommClosedError) as error:
            raise _lost_scheduler(client, error) from None
        now = time.monotonic()
        if workers:
            without_workers_since = None
        elif without_workers_since is None:
            without_workers_since = now
        elif now - without_workers_since > no_workers_timeout:
            raise ClusterError(
                f"the Dask cluster at {client.scheduler.address} has had no worker for "
                f"{no_workers_timeout:g} s",
                hint="start workers with `dask worker ADDRESS --nthreads 1`; nothing was written",
            )


def _lost_scheduler(client: Client, error: BaseException) -> ClusterError:
    address = getattr(client.scheduler, "address", "the scheduler")
    return ClusterError(
        f"lost the Dask scheduler at {address} ({type(error).__name__}: {error})",
        hint="nothing was written; start the scheduler again and rerun the command",
    )
