"""What the scripted sales model says next, decided from the chat context alone.

Like a real model, :func:`decide` sees only the conversation (instructions, messages, tool calls
and tool outputs) and the tools offered. It reads the caller with the same pattern detector the
pipeline uses (``signalroom.signals.detect``) and regular expressions for names, emails and
times. It is deterministic: the same conversation always gets the same reply.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from signalroom.signals import detect

QUESTIONS = {
    "team_size": "How many people are on the team that would use it?",
    "monthly_volume": "Roughly how many documents or cases do you handle a month?",
    "integration_needs": "Which tools would you need us to connect with, like your CRM?",
    "urgency": "What's your timeline for getting something in place?",
    "industry": "And what industry are you in?",
}
OFFER_MEETING = (
    "Thanks, that helps a lot. Would you like to book a call with a specialist? "
    "I'd just need your full name, email and a time that suits you."
)
GOODBYE = "Thanks so much for your time. Have a great day, goodbye!"

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)*", re.UNICODE)
_SPOKEN_EMAIL = re.compile(r"\b([\w.]+) at ([\w-]+) dot ([a-z]{2,})\b", re.IGNORECASE)
_NAME = re.compile(
    r"\b(?i:my name is|my name's|name is|this is|i am|i'm)\s+"
    r"([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+){0,2})"
)
_TIME = re.compile(
    r"\b((?:(?:next|this)\s+)?(?:monday|tuesday|wednesday|thursday|friday|tomorrow|today)"
    r"(?:\s+(?:morning|afternoon))?(?:\s+(?:at|around)\s+\d{1,2}(?::\d{2})?\s*(?:am|pm)?)?"
    r"|(?:at|around)\s+\d{1,2}(?::\d{2})?\s*(?:am|pm))",
    re.IGNORECASE,
)
_ZONE = re.compile(
    r"\b(eastern|central|mountain|pacific|utc|gmt|cet|est|pst|cst|bst|"
    r"[A-Z][a-z]+/[A-Z][A-Za-z_]+)\b(?:\s+time)?",
    re.IGNORECASE,
)
_BOOKING_WORDS = re.compile(
    r"\b(book|schedule|set up a (?:call|meeting|demo)|meeting|demo|talk to (?:someone|sales)|"
    r"let'?s do it|sounds good)\b",
    re.IGNORECASE,
)
_GOODBYE_WORDS = re.compile(
    r"\b(bye|goodbye|gotta go|have to go|that's all|no thanks|not interested)\b", re.IGNORECASE
)
_QUESTION_START = re.compile(
    r"^\s*(how|what|does|do you|can|could|is there|are there|which|tell me|is it|will)\b",
    re.IGNORECASE,
)
_CATEGORY_LINE = re.compile(r"Knowledge categories you can pass to search_knowledge: ([^.\n]+)")


@dataclass
class ToolCallPlan:
    name: str
    arguments: dict[str, Any]


@dataclass
class Reply:
    text: str = ""
    tool_calls: list[ToolCallPlan] = field(default_factory=list)


@dataclass
class _Context:
    instructions: str = ""
    user_texts: list[str] = field(default_factory=list)
    recorded: set[str] = field(default_factory=set)
    booked: bool = False
    #: tool outputs that came after the last user message: (name, output, is_error)
    fresh_outputs: list[tuple[str, str, bool]] = field(default_factory=list)
    last_is_output: bool = False


def _read(items: list[Any]) -> _Context:
    ctx = _Context()
    for item in items:
        kind = getattr(item, "type", None)
        if kind == "message":
            text = item.text_content or ""
            if item.role in ("system", "developer"):
                ctx.instructions += text + "\n"
            elif item.role == "user":
                ctx.user_texts.append(text)
                ctx.fresh_outputs = []
        elif kind == "function_call" and item.name == "record_signal":
            args = _json(item.arguments)
            if "field" in args:
                ctx.recorded.add(str(args["field"]))
        elif kind == "function_call_output":
            ctx.fresh_outputs.append((item.name, item.output, item.is_error))
            if item.name == "book_sales_meeting" and not item.is_error:
                ctx.booked = True
    ctx.last_is_output = bool(items) and getattr(items[-1], "type", None) == "function_call_output"
    return ctx


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _signals(text: str) -> dict[str, Any]:
    data = detect(text).to_dict()
    return {k: v for k, v in data.items() if v not in (None, [], "")}


def find_email(text: str) -> str | None:
    spoken = _SPOKEN_EMAIL.search(text)
    if spoken:
        return f"{spoken.group(1)}@{spoken.group(2)}.{spoken.group(3)}".lower()
    found = _EMAIL.search(text)
    return found.group(0).rstrip(".,") if found else None


def find_name(text: str) -> str | None:
    found = _NAME.search(text)
    return found.group(1).strip() if found else None


def decide(items: list[Any], tool_names: set[str]) -> Reply:
    ctx = _read(items)
    if ctx.last_is_output:
        return _after_tools(ctx)
    if not ctx.user_texts:
        return Reply(text="Hi! How can I help you today?")
    return _after_user(ctx, tool_names)


def _known_fields(ctx: _Context) -> set[str]:
    known = set(ctx.recorded)
    for text in ctx.user_texts:
        known.update(_signals(text))
    return known


def _next_question(ctx: _Context) -> str:
    known = _known_fields(ctx)
    for name, question in QUESTIONS.items():
        if name not in known:
            return question
    return "Is there anything else you'd like to know?" if ctx.booked else OFFER_MEETING


def _signal_calls(ctx: _Context, text: str, tool_names: set[str]) -> list[ToolCallPlan]:
    if "record_signal" not in tool_names:
        return []
    calls: list[ToolCallPlan] = []
    for name, value in _signals(text).items():
        if name in ctx.recorded:
            continue
        values = value if isinstance(value, list) else [value]
        calls.extend(
            ToolCallPlan("record_signal", {"field": name, "value": str(v)}) for v in values
        )
    return calls


def _after_user(ctx: _Context, tool_names: set[str]) -> Reply:
    text = ctx.user_texts[-1]
    if _GOODBYE_WORDS.search(text) and not find_email(text):
        return Reply(text=GOODBYE)

    email = find_email(text)
    name = next((n for t in reversed(ctx.user_texts) if (n := find_name(t))), None)
    wants_booking = bool(_BOOKING_WORDS.search(text)) or email is not None
    if wants_booking and "book_sales_meeting" in tool_names and not ctx.booked:
        if email and name:
            args: dict[str, Any] = {"customer_name": name, "customer_email": email}
            when = next(
                (m.group(1) for t in reversed(ctx.user_texts) if (m := _TIME.search(t))), None
            )
            zone = next(
                (m.group(1) for t in reversed(ctx.user_texts) if (m := _ZONE.search(t))), None
            )
            if when:
                args["preferred_time"] = when
            if zone:
                args["timezone"] = zone
            return Reply(tool_calls=[ToolCallPlan("book_sales_meeting", args)])
        missing = " and ".join(p for p, have in (("full name", name), ("email", email)) if not have)
        return Reply(text=f"Happy to set that up. Could I get your {missing}?")

    signal_calls = _signal_calls(ctx, text, tool_names)
    if _is_question(text) and "search_knowledge" in tool_names:
        args = {"query": text.strip()[:300]}
        category = _category(ctx.instructions, text)
        if category:
            args["category"] = category
        return Reply(tool_calls=[*signal_calls, ToolCallPlan("search_knowledge", args)])

    if signal_calls:
        ctx.recorded.update(c.arguments["field"] for c in signal_calls)
        return Reply(text="Got it. " + _next_question(ctx), tool_calls=signal_calls)
    return Reply(text=_next_question(ctx))


def _is_question(text: str) -> bool:
    return "?" in text or bool(_QUESTION_START.search(text))


def _category(instructions: str, question: str) -> str | None:
    found = _CATEGORY_LINE.search(instructions)
    if not found:
        return None
    words = set(re.findall(r"[a-z]+", question.lower()))
    for cat in (c.strip() for c in found.group(1).split(",")):
        stem = cat.lower().rstrip("s")
        if any(w.startswith(stem) for w in words):
            return cat
    return None


def _first_sentences(text: str, limit: int = 220) -> str:
    text = re.sub(r"\s+", " ", re.sub(r"[#*_`>|-]+", " ", text)).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > 40 else cut.rsplit(" ", 1)[0] + "..."


def _after_tools(ctx: _Context) -> Reply:
    for name, output, is_error in reversed(ctx.fresh_outputs):
        if name == "book_sales_meeting":
            if is_error:
                return Reply(text=output)
            message = _json(output).get("message", "You're booked.")
            return Reply(text=f"You're all set. {message} Is there anything else I can help with?")
        if name == "search_knowledge":
            if is_error:
                return Reply(text="Sorry, I can't look that up right now. I'll follow up by email.")
            result = _json(output)
            hits = result.get("results") or []
            if not hits:
                return Reply(
                    text="I couldn't find that in our documentation. "
                    "A specialist can answer it on a call. " + _next_question(ctx)
                )
            return Reply(
                text=_first_sentences(str(hits[0].get("text", ""))) + " " + _next_question(ctx)
            )
    return Reply(text=_next_question(ctx))
