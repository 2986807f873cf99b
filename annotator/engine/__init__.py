"""The rule engine: ``Annotator(pack).annotate(text) -> list[Span]``; batch and parallel over a corpus.

No I/O here. An ``Annotator`` compiles a validated ``RulePack`` once (one Aho-Corasick automaton for
every term-based rule, one regex per regex rule, one spaCy matcher for token rules) and is then a
pure function of the text. It pickles whole (``annotator.pack_cache`` keeps it on disk), except for
spaCy's matcher, which is rebuilt from the token patterns before the first text. For a corpus,
``annotate_stream`` keeps a bounded number of chunks in flight across worker processes and yields
results in input order.

This package is the engine layer: ``documents`` groups consecutive examples into documents for
propagate rules, and ``cluster`` runs the same annotation on a Dask cluster. The module is the
package's ``__init__`` so that ``annotator.engine`` stays the import path it always was.

Why one module of about 440 lines: ``Annotator`` and the process pool that runs it belong together:
the pool's workers receive the compiled ``Annotator`` by fork (``_adopt_annotator``) or by pickle,
and ``chunk_rows``/``with_spans`` are the exact hand-off format both the pool and ``cluster`` use.
The matching itself lives in ``annotator.matchers``; what is here is its orchestration.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from annotator.arabic import NormalizedText, Normalizer
from annotator.engine.documents import split_documents
from annotator.engine.term_keys import TermKeys
from annotator.errors import TimeLimitExceeded
from annotator.matchers.alarm import AlarmExpired, TextAlarm
from annotator.matchers.propagate import NameMemory, Propagator
from annotator.matchers.regexes import CompiledRegex, RegexTimeout, time_limit
from annotator.matchers.terms import TermIndex
from annotator.matchers.triggers import CompiledTrigger
from annotator.model import Example, Span
from annotator.resolve import Candidate, CandidateRow, resolve_rows
from annotator.rules.model import (
    DocumentSettings,
    GazetteerRule,
    PropagateRule,
    RegexRule,
    RuleKind,
    RulePack,
    TokenRule,
    TriggerRule,
)


class Annotator:
    """A compiled rule pack. Thread-compatible and picklable (spaCy's matcher is rebuilt on first use)."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self.normalizer = Normalizer(pack.normalization)
        ignore_case = pack.normalization.casefold
        timeout = pack.match_timeout
        self._terms = TermIndex()
        self._regexes: list[CompiledRegex] = []
        self._triggers: dict[int, CompiledTrigger] = {}
        #: regex rule index -> the prefix key of the strings it requires
        self._required_key: dict[int, int] = {}
        token_rules = []
        self._propagators: list[Propagator] = []
        self._propagated_from: dict[str, int] = {}  # source rule id -> propagator
        keys = self._keys = TermKeys(len(pack.rules))
        for index, rule in enumerate(pack.rules):
            config = rule.config
            if isinstance(config, GazetteerRule):
                self._terms.add(keys.own_terms(index), config.source.terms, rule.clitics)
            elif isinstance(config, RegexRule):
                self._regexes.append(
                    CompiledRegex(index, config.pattern, config.group, rule.clitics, ignore_case, timeout)
                )
                if config.requires:
                    self._required_key[index] = keys.required_string(index)
                    self._terms.add_prefixes(keys.required_string(index), config.requires)
            elif isinstance(config, TriggerRule):
                self._triggers[index] = CompiledTrigger(index, config, rule.clitics, ignore_case, timeout)
                if not config.trigger.is_pattern:
                    self._terms.add(keys.own_terms(index), config.trigger.terms, rule.clitics)
            elif isinstance(config, TokenRule):
                token_rules.append((index, config.patterns, rule.clitics))
                if config.required_words:
                    self._terms.add(keys.required_word(index), config.required_words, rule.clitics)
            elif isinstance(config, PropagateRule):
                for source in config.sources:
                    self._propagated_from.setdefault(source, len(self._propagators))
                self._propagators.append(Propagator(rule.id, rule.label, config, rule.clitics))
        # regex rules (and trigger patterns) whose matches start with known literals run only where
        # the shared automaton saw one of those
        self._prefix_gated: set[int] = set()
        for compiled in [
            *self._regexes,
            *(t.trigger_regex for t in self._triggers.values() if t.trigger_regex),
        ]:
            if compiled.prefixes is not None:
                self._terms.add_prefixes(keys.prefix(compiled.rule_index), compiled.prefixes)
                self._prefix_gated.add(compiled.rule_index)
        self._always_tokens = {
            index
            for index, rule in enumerate(pack.rules)
            if rule.kind is RuleKind.TOKENS and not rule.config.required_words  # type: ignore[union-attr]
        }
        self._token_rules = token_rules
        self._tokens = None
        self.prepare()
        self._terms.build()
        self._alarm = TextAlarm()
        self._labels = [rule.label for rule in pack.rules]
        self._ids = [rule.id for rule in pack.rules]
        self._priorities = [rule.priority for rule in pack.rules]

    def prepare(self) -> None:
        """Build what pickling leaves out (spaCy's token matcher, if the pack has token rules).

        Called before the first text (never under its time limit) and before worker processes
        fork, so that they share it.
        """
        if self._token_rules and self._tokens is None:
            from annotator.matchers.tokens import CompiledTokens

            self._tokens = CompiledTokens(self._token_rules)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_tokens"] = None  # spaCy's vocabulary and matcher: rebuilt from the patterns by prepare
        return state

    def candidates(self, text: str) -> list[Candidate]:
        """Every rule match on ``text`` (original offsets), before overlap resolution.

        Raises ``TimeLimitExceeded`` as ``candidate_rows`` does.
        """
        return [Candidate(*row) for row in self.candidate_rows(text)]

    def candidate_rows(self, text: str) -> list[CandidateRow]:
        """``candidates`` as ``CandidateRow`` tuples (what ``annotate`` resolves).

        Raises ``TimeLimitExceeded`` naming the rule that was running when the text's matching ran
        past the pack's time limit (``match_timeout`` per 10,000 characters; see ``alarm``).
        """
        return self._rows(self.normalizer.normalize(text))

    def _rows(self, view: NormalizedText) -> list[CandidateRow]:
        """``candidate_rows`` of a text already normalised."""
        if self._tokens is None and self._token_rules:
            self.prepare()
        norm = view.text
        hits: list[tuple[int, int, int]] = []
        limit = time_limit(self.pack.match_timeout, norm)
        current = -1  # the rule being matched, to name when the time runs out
        try:
            with self._alarm.armed(limit) as guarded:
                triggers: dict[int, list[tuple[int, int]]] = {}
                token_rules: set[int] = set(self._always_tokens)
                keys = self._keys
                term_hits, prefix_starts = self._terms.scan_all(norm)
                gated = self._prefix_gated
                required_key = self._required_key
                for start, end, key in term_hits:
                    if keys.is_required_word(key):
                        token_rules.add(keys.token_rule_of(key))
                    elif key in self._triggers:
                        triggers.setdefault(key, []).append((start, end))
                    else:
                        hits.append((start, end, key))
                # a prefix-gated rule runs only where the scan saw one of its prefixes, at those places
                for compiled in self._regexes:
                    current = compiled.rule_index
                    if current in required_key and required_key[current] not in prefix_starts:
                        continue  # none of the strings it requires is in the text
                    prefix = keys.prefix(current)
                    if current not in gated or prefix in prefix_starts:
                        starts = prefix_starts[prefix] if current in gated else None
                        hits.extend(compiled.find(norm, starts, guarded))
                for current, trigger in self._triggers.items():
                    found = triggers.get(current, [])
                    prefix = keys.prefix(current)
                    if current not in gated or prefix in prefix_starts:
                        starts = prefix_starts[prefix] if current in gated else None
                        found.extend(hit[:2] for hit in trigger.triggers(norm, starts, guarded))
                    if found:
                        hits.extend(trigger.targets(norm, found, guarded))
                current = -1
                if token_rules and self._tokens is not None:
                    hits.extend(self._tokens.find(norm, token_rules))
        except RegexTimeout as timeout:
            raise TimeLimitExceeded(self._ids[timeout.rule_index], timeout.seconds) from None
        except AlarmExpired:
            rule = self._ids[current] if current >= 0 else "(the term scan and token patterns)"
            raise TimeLimitExceeded(rule, limit) from None
        if not view.is_identity:
            hits = view.to_original_all(hits)
        labels, ids, priorities = self._labels, self._ids, self._priorities
        return [(start, end, labels[i], ids[i], priorities[i], i) for start, end, i in hits]

    @property
    def propagates(self) -> bool:
        """Whether the pack has ``propagate`` rules (spans then depend on the document, not one text)."""
        return bool(self._propagators)

    def annotate(self, text: str) -> list[Span]:
        """The resolved spans of ``text`` (a document of one), on its original offsets, each naming
        its rule."""
        if not text:
            return []
        view = self.normalizer.normalize(text)
        spans = resolve_rows(self._rows(view), self.pack.overlap)
        if self._propagators and spans:
            spans = self._memory().extend("", view, spans)
        return spans

    def _memory(self) -> NameMemory:
        return NameMemory(self._propagators, self._propagated_from, self.normalizer)

    def annotate_example(self, example: Example) -> Example:
        """``example`` (a document of one) with its spans replaced by this pack's spans."""
        return self.annotate_document([example])[0]

    def annotate_document(self, examples: Sequence[Example]) -> list[Example]:
        """The examples of one document (see ``annotator.engine.documents``), in order, with this pack's
        spans; ``propagate`` rules carry the names found in earlier examples to later ones."""
        memory = self._memory() if self._propagators else None
        annotated = []
        for example in examples:
            if not example.text:
                annotated.append(replace(example, spans=()))
                continue
            view = self.normalizer.normalize(example.text)
            try:
                spans = resolve_rows(self._rows(view), self.pack.overlap)
            except TimeLimitExceeded as error:
                raise TimeLimitExceeded(error.rule, error.seconds, example.id) from None
            if memory is not None:
                spans = memory.extend(example.id, view, spans)
            annotated.append(replace(example, spans=tuple(spans)))
        return annotated


# -- corpus-level, in parallel ---------------------------------------------------------------------

_worker_annotator: Annotator | None = None


def _adopt_annotator(annotator: Annotator) -> None:
    """Pool initializer: the parent's compiled annotator (inherited under ``fork``, else unpickled)."""
    global _worker_annotator
    _worker_annotator = annotator


#: one example's spans as plain tuples: what a worker sends back (the parent already has the text,
#: and tuples cross the process boundary several times faster than dataclasses)
SpanRows = list[tuple[int, int, str, str, tuple[str, int, int] | None]]


def chunk_rows(annotator: Annotator, chunk: list[list[Example]]) -> list[SpanRows]:
    """The spans of every example of a chunk of whole documents, in order, as plain tuples: what a
    worker process (of the pool, or of a Dask cluster) sends back."""
    rows = []
    for document in chunk:
        for example in annotator.annotate_document(document):
            rows.append(
                [(span.start, span.end, span.label, span.rule, span.source) for span in example.spans]
            )
    return rows


def _annotate_chunk(chunk: list[list[Example]]) -> list[SpanRows]:
    """The spans of every example of a chunk of whole documents, in order."""
    assert _worker_annotator is not None
    return chunk_rows(_worker_annotator, chunk)


def with_spans(chunk: list[list[Example]], rows: list[SpanRows]) -> Iterator[Example]:
    """The examples of ``chunk`` carrying the spans ``chunk_rows`` gave for them, in order."""
    examples = [example for document in chunk for example in document]
    for example, spans in zip(examples, rows, strict=True):
        yield replace(example, spans=tuple(Span(*row) for row in spans))


_with_spans = with_spans


def document_chunks(
    pack: RulePack | Annotator,
    examples: Iterable[Example],
    max_examples: int,
    max_chars: int,
    documents: DocumentSettings | None = None,
) -> Iterator[list[list[Example]]]:
    """The stream as chunks of whole documents (as ``annotate_stream`` cuts it for its workers)."""
    rules = pack.pack if isinstance(pack, Annotator) else pack
    return _chunks(_documents(rules, examples, documents or rules.documents), max_examples, max_chars)


#: packs compiled in this process by ``annotate_partition``, most recent last
_compiled: list[tuple[RulePack, Annotator]] = []
_COMPILED_KEPT = 4


def compiled(pack: RulePack) -> Annotator:
    """``pack`` compiled, once per process: later calls with this pack, or an equal copy of it
    (unpickled again by a task), reuse the compile."""
    for index, (known, annotator) in enumerate(_compiled):
        if known is pack or known == pack:
            if known is not pack:  # the next task's copy is likely this one again
                _compiled[index] = (pack, annotator)
            return annotator
    annotator = Annotator(pack)
    _compiled.append((pack, annotator))
    del _compiled[:-_COMPILED_KEPT]
    return annotator


def release(pack: RulePack) -> None:
    """Forget this process's compile of ``pack`` (a long-lived worker done with a run)."""
    _compiled[:] = [
        (known, annotator) for known, annotator in _compiled if not (known is pack or known == pack)
    ]


def annotate_partition(
    pack: RulePack | Annotator, examples: Iterable[Example], documents: DocumentSettings | None = None
) -> Iterator[Example]:
    """Annotate one partition of a corpus: what a Spark ``mapPartitions`` or a Ray task runs.

    Best given the compiled pack (an ``Annotator``, e.g. ``pack_cache.load_compiled(path)``),
    shipped once per worker where the framework allows (a Spark broadcast variable, a Ray object
    reference): unpickling it takes a fraction of a second, where compiling ar-news in a fresh
    process takes seconds. A ``RulePack`` is compiled on the first call in a process and the
    compile reused by later calls with an equal pack. A partition must hold whole documents
    (``annotator.engine.documents``: cut the corpus with ``document_chunks``), or names found in one part
    of a document are not carried to the other. The examples come back in input order, each with
    its spans; errors are those of ``annotate_stream`` (``TimeLimitExceeded`` names the example).
    """
    if isinstance(pack, Annotator):
        pack.prepare()
        annotator = pack
    else:
        annotator = compiled(pack)
    rules = annotator.pack
    for document in _documents(rules, examples, documents or rules.documents):
        yield from annotator.annotate_document(document)


def _chunks(
    documents: Iterable[list[Example]], max_examples: int, max_chars: int
) -> Iterator[list[list[Example]]]:
    """Whole documents, packed into chunks of about ``max_examples`` examples or ``max_chars``."""
    chunk: list[list[Example]] = []
    count = size = 0
    for document in documents:
        chunk.append(document)
        count += len(document)
        size += sum(len(example.text) for example in document)
        if count >= max_examples or size >= max_chars:
            yield chunk
            chunk, count, size = [], 0, 0
    if chunk:
        yield chunk


def _documents(
    pack: RulePack, examples: Iterable[Example], settings: DocumentSettings
) -> Iterator[list[Example]]:
    """Documents of ``examples`` when the pack propagates names across them, else one per example."""
    if pack.propagates:
        return split_documents(examples, settings)
    return ([example] for example in examples)


def _fork_is_safe() -> bool:
    """Forking copies only the calling thread; with no other thread alive nothing can be caught
    holding a lock, and the children share the compiled pack instead of compiling it again."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def start_pool(pack: RulePack | Annotator, workers: int) -> multiprocessing.pool.Pool:
    """``workers`` processes ready to annotate with ``pack`` (compiled here unless it already is).

    Compiling ar-news takes seconds, so it is compiled once, here. Under ``fork`` (Linux, called
    before any other thread starts) every worker inherits the compiled pack; otherwise each worker
    of a ``forkserver`` (or ``spawn``) pool receives it pickled, which takes a fraction of that.
    """
    annotator = pack if isinstance(pack, Annotator) else Annotator(pack)
    annotator.prepare()
    if _fork_is_safe():
        return multiprocessing.get_context("fork").Pool(
            workers, initializer=_adopt_annotator, initargs=(annotator,)
        )
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return context.Pool(workers, initializer=_adopt_annotator, initargs=(annotator,))


def annotate_stream(
    pack: RulePack | Annotator,
    examples: Iterable[Example],
    workers: int = 1,
    chunk_examples: int = 512,
    chunk_chars: int = 1_000_000,
    documents: DocumentSettings | None = None,
) -> Iterator[Example]:
    """Annotate a stream of examples in input order, with ``workers`` processes.

    ``pack`` may be compiled already (an ``Annotator``, e.g. from ``pack_cache.load_compiled``).
    Otherwise it is compiled (and the workers started) when this is called, not when the first result
    is taken, so a caller that starts threads afterwards (a progress bar) still gets workers that
    share one compiled pack. Memory stays bounded: at most ``2 * workers`` chunks are in flight,
    and the input is consumed only as results are taken. Consume the iterator to the end (or close
    it) so that the workers stop.

    When the pack has ``propagate`` rules, examples are grouped into documents (``documents``, else
    the pack's own settings; see ``annotator.engine.documents``); a document is never split between
    workers, so the output is the same whatever the number of workers.
    """
    rules = pack.pack if isinstance(pack, Annotator) else pack
    grouped = _documents(rules, examples, documents or rules.documents)
    if workers <= 1:
        annotator = pack if isinstance(pack, Annotator) else Annotator(pack)
        return (example for document in grouped for example in annotator.annotate_document(document))
    return _in_parallel(start_pool(pack, workers), grouped, workers, chunk_examples, chunk_chars)


def _in_parallel(
    pool: multiprocessing.pool.Pool,
    documents: Iterable[list[Example]],
    workers: int,
    chunk_examples: int,
    chunk_chars: int,
) -> Iterator[Example]:
    with pool:
        pending: deque = deque()
        for chunk in _chunks(documents, chunk_examples, chunk_chars):
            pending.append((chunk, pool.apply_async(_annotate_chunk, (chunk,))))
            if len(pending) >= 2 * workers:
                done, result = pending.popleft()
                yield from _with_spans(done, result.get())
        while pending:
            done, result = pending.popleft()
            yield from _with_spans(done, result.get())
