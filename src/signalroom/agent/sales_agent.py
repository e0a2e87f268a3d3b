"""``SalesAgent``: a LiveKit ``Agent`` for a qualification call.

Its tools return JSON objects so that whoever watches the session (the ``SessionRecorder``) can
read the outcome of each call from the tool output itself (``results_found``, ``total_results``,
``success``) without any I/O or a second channel. Refusals raise ``ToolError`` with a sentence the
model reads to the caller. The agent tracks the conversation stage and notes in its own
``CallAnnotations``; it works the same with or without a recorder attached.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, get_args

from livekit.agents import (
    Agent,
    FlushSentinel,
    ModelSettings,
    RunContext,
    ToolError,
    function_tool,
    llm,
)
from livekit.agents.llm import ToolResult

from signalroom.booking import BookingBackend, BookingError, book_meeting
from signalroom.collect.annotations import CallAnnotations
from signalroom.config import AgentSettings, BookingSettings
from signalroom.knowledge import KnowledgeBase, KnowledgeError
from signalroom.record import Industry, Urgency
from signalroom.signals.detector import default_detector

from .instructions import build_instructions, opening_line

logger = logging.getLogger("signalroom.agent")

SIGNAL_FIELDS = ("team_size", "monthly_volume", "integration_needs", "urgency", "industry")
_INDUSTRIES = frozenset(get_args(Industry))
_URGENCIES = frozenset(get_args(Urgency))
_MAX_HIT_CHARS = 600  # keeps a tool result short enough to read aloud


class SalesAgent(Agent):
    """Greets with the consent line, discovers, answers from the knowledge base, books."""

    def __init__(
        self,
        *,
        knowledge: KnowledgeBase,
        booking: BookingBackend,
        settings: AgentSettings | None = None,
        booking_settings: BookingSettings | None = None,
        clock: Callable[[], datetime] | None = None,
        knowledge_top_k: int = 3,
    ) -> None:
        self.settings = settings or AgentSettings()
        self._booking_settings = booking_settings or BookingSettings()
        self._knowledge = knowledge
        self._booking = booking
        self._clock = clock or (lambda: datetime.now(UTC))
        self._top_k = knowledge_top_k
        self._signals_known: set[str] = set()
        self.annotations = CallAnnotations()
        super().__init__(instructions=build_instructions(self.settings, knowledge.categories))

    async def on_enter(self) -> None:
        self.annotations.set_stage("greeting")
        self.session.say(opening_line(self.settings), allow_interruptions=False)

    async def llm_node(
        self,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
        model_settings: ModelSettings,
    ) -> AsyncIterator[llm.ChatChunk | str | FlushSentinel]:
        # the first reply to the caller ends the greeting, in voice and text sessions alike
        if self.annotations.stage == "greeting":
            self.annotations.advance_to("discovery")
        async for chunk in Agent.default.llm_node(self, chat_ctx, tools, model_settings):
            yield chunk

    @function_tool
    async def search_knowledge(
        self, context: RunContext[Any], query: str, category: str | None = None
    ) -> str:
        """Search the product documentation to answer the caller's product question.

        Args:
            query: The caller's question in a few words.
            category: Optional documentation category to search in.
        """
        self.annotations.advance_to("solution")
        try:
            result = await self._knowledge.search(query, category=category, top_k=self._top_k)
        except KnowledgeError as exc:
            logger.warning("knowledge search failed: %s", exc)
            raise ToolError(
                f"The product documentation could not be searched ({exc}). "
                "Tell the caller you will follow up by email."
            ) from None
        hits = [
            {"title": h.title, "text": h.text[:_MAX_HIT_CHARS], "source": h.source}
            for h in result.hits
        ]
        return json.dumps(
            {
                "query": result.query,
                "category": result.category,
                "results_found": bool(hits),
                "total_results": result.total,
                "results": hits,
            }
        )

    @function_tool
    async def book_sales_meeting(
        self,
        context: RunContext[Any],
        customer_name: str,
        customer_email: str,
        preferred_time: str | None = None,
        timezone: str | None = None,
    ) -> str:
        """Book a meeting with a sales specialist once the caller gave a name and an email.

        Args:
            customer_name: The caller's full name.
            customer_email: The caller's email address, exactly as spelled.
            preferred_time: When the caller would like to meet, in their words.
            timezone: The caller's time zone if they said it.
        """
        self.annotations.advance_to("booking")
        try:
            booking = await book_meeting(
                self._booking,
                customer_name,
                customer_email,
                preferred_time,
                timezone,
                now=self._clock(),
                default_timezone=self._booking_settings.default_timezone,
            )
        except BookingError as exc:
            # The message may quote the caller's address or time; log the kind and the fixed
            # sentence said to the caller, never the value.
            logger.info("booking refused (%s): %s", type(exc).__name__, exc.spoken)
            raise ToolError(exc.spoken) from None
        self.annotations.advance_to("wrap_up")
        when = booking.start.strftime("%A %B %d at %I:%M %p").replace(" 0", " ")
        return json.dumps(
            {
                "success": True,
                "booking_id": booking.booking_id,
                "start": booking.start.isoformat(),
                "timezone": booking.timezone,
                "join_url": booking.join_url,
                "message": f"Booked {when} {booking.timezone}; "
                f"an invitation goes to {booking.email}.",
            }
        )

    @function_tool
    async def record_signal(self, context: RunContext[Any], field: str, value: str) -> ToolResult:
        """Record one qualification fact the caller just told you.

        Args:
            field: One of team_size, monthly_volume, integration_needs, urgency, industry.
            value: The value: a number for team_size and monthly_volume; a tool name for
                integration_needs; high, medium or low for urgency; an industry name.
        """
        normalized = normalize_signal(field, value)
        self._signals_known.add(field)
        if len(self._signals_known) >= 2:
            self.annotations.advance_to("qualification")
        # the model keeps talking; a recorded fact needs no reply of its own
        return ToolResult(
            json.dumps({"recorded": field, "value": normalized}), reply_required=False
        )

    @function_tool
    async def add_note(self, context: RunContext[Any], text: str) -> ToolResult:
        """Leave a short note for the human sales rep (objections, competitors, budget).

        Args:
            text: The note, one or two sentences.
        """
        try:
            self.annotations.add_note(text)
        except ValueError as exc:
            raise ToolError(str(exc)) from None
        return ToolResult(json.dumps({"noted": True}), reply_required=False)


def normalize_signal(field: str, value: Any) -> int | float | str:
    """The value ``record_signal`` accepts for ``field``, or a ToolError the model can fix."""
    if field not in SIGNAL_FIELDS:
        raise ToolError(f"unknown field {field!r}; use one of {', '.join(SIGNAL_FIELDS)}")
    text = str(value).strip().lower()
    if field in ("team_size", "monthly_volume"):
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            raise ToolError(f"{field} needs a number, got {value!r}") from None
        if number < 0:
            raise ToolError(f"{field} cannot be negative")
        return int(number) if field == "team_size" else number
    if field == "urgency" and text not in _URGENCIES:
        raise ToolError("urgency must be high, medium or low")
    if field == "integration_needs":
        # only names the vocabulary knows: a free-text value would be stored and exported as is
        name = default_detector().canonical_integration(text)
        if name is None:
            raise ToolError(
                f"unknown integration {value!r}; name the tool, for example salesforce or hubspot"
            )
        return name
    if field == "industry":
        text = text.replace(" ", "_").replace("-", "_")
        if text not in _INDUSTRIES:
            raise ToolError(
                f"unknown industry {value!r}; use one of {', '.join(sorted(_INDUSTRIES))}"
            )
    if not text:
        raise ToolError(f"{field} needs a value")
    return text
