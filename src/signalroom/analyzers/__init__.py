"""Analyzers: pure, versioned functions of a session record, run as a chain.

``default_analyzers(settings)`` builds the chain the service runs; ``run_analyzers`` runs it and
keeps each result with its analyzer's version (see ``base`` for the failure policy).
"""

from __future__ import annotations

from signalroom.analyzers.base import Analyzer, AnalyzerResult, run_analyzers
from signalroom.analyzers.cost import CostAnalyzer
from signalroom.analyzers.engagement import EngagementAnalyzer
from signalroom.analyzers.lead_score import LeadScoreAnalyzer
from signalroom.analyzers.outcome import OutcomeAnalyzer
from signalroom.analyzers.sentiment import SentimentAnalyzer
from signalroom.config import AnalyzerSettings

__all__ = [
    "Analyzer",
    "AnalyzerResult",
    "CostAnalyzer",
    "EngagementAnalyzer",
    "LeadScoreAnalyzer",
    "OutcomeAnalyzer",
    "SentimentAnalyzer",
    "default_analyzers",
    "run_analyzers",
]


def default_analyzers(settings: AnalyzerSettings | None = None) -> list[Analyzer]:
    """The configured chain: lead_score, sentiment, engagement, cost, outcome (+ llm_summary)."""
    settings = settings or AnalyzerSettings()
    lead = LeadScoreAnalyzer(settings.lead_score)
    chain: list[Analyzer] = [
        lead,
        SentimentAnalyzer(),
        EngagementAnalyzer(),
        CostAnalyzer(settings.prices),
        OutcomeAnalyzer(lead, settings.outcome),
    ]
    if settings.llm_summary:
        from signalroom.analyzers.llm_summary import LLMSummaryAnalyzer

        chain.append(
            LLMSummaryAnalyzer(
                base_url=settings.llm_summary_url,
                model=settings.llm_summary_model,
                api_key=settings.llm_summary_api_key,
                timeout_s=settings.llm_summary_timeout_s,
            )
        )
    return chain
