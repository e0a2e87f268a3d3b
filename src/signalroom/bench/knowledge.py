"""The bundled knowledge base: index build time and search latency, beside a plain scan."""

from __future__ import annotations

import time

from signalroom.bench.stats import percentile

QUERIES = (
    "do you integrate with salesforce",
    "how much does the team plan cost",
    "is my data encrypted at rest",
    "can I cancel anytime",
    "what languages do you support",
)


def bench_knowledge(rounds: int) -> dict[str, float]:
    """Build time (ms) and search p99 (ms), with the baseline: a substring scan of the text."""
    from signalroom.knowledge.docs import bundled_docs, split_sections
    from signalroom.knowledge.local import LocalKnowledgeBase

    kb = LocalKnowledgeBase.bundled()
    sections = [c for name, text in bundled_docs() for c in split_sections(name, text)]
    texts = [f"{c.title}\n{c.text}".lower() for c in sections]
    searches: list[float] = []
    scans: list[float] = []
    for _ in range(rounds):
        for query in QUERIES:
            t0 = time.perf_counter()
            kb.search_sync(query)
            searches.append((time.perf_counter() - t0) * 1000)
            words = query.split()
            t0 = time.perf_counter()
            _ = [t for t in texts if any(w in t for w in words)]
            scans.append((time.perf_counter() - t0) * 1000)
    return {
        "knowledge_build_ms": kb.build_seconds * 1000,
        "knowledge_search_p99_ms": percentile(searches, 99),
        "substring_scan_p99_ms": percentile(scans, 99),
    }
