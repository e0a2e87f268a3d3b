"""The scripted model's decisions and token estimate; scenario generation."""

from __future__ import annotations

import json
import math

from livekit.agents import llm

from signalroom.simulate import generate_scenarios
from signalroom.testing import ScriptedLLM, decide

TOOLS = {"search_knowledge", "book_sales_meeting", "record_signal", "add_note"}


def _ctx(*texts: str) -> llm.ChatContext:
    ctx = llm.ChatContext()
    ctx.add_message(role="system", content="Sell politely.")
    for t in texts:
        ctx.add_message(role="user", content=t)
    return ctx


def test_decisions_follow_what_the_caller_says() -> None:
    ask = decide(_ctx("Do you integrate with HubSpot?").items, TOOLS)
    assert [c.name for c in ask.tool_calls] == ["record_signal", "search_knowledge"]
    book = decide(_ctx("My name is Ana Silva, ana@silva.com, friday at 11am").items, TOOLS)
    assert book.tool_calls[0].name == "book_sales_meeting"
    assert book.tool_calls[0].arguments["customer_email"] == "ana@silva.com"
    plain = decide(_ctx("Hello there").items, TOOLS)
    assert plain.tool_calls == [] and plain.text.endswith("?")
    # without the tool on offer, the model cannot call it
    assert decide(_ctx("Do you integrate with HubSpot?").items, set()).tool_calls == []


async def test_usage_is_estimated_from_the_actual_prompt_and_reply() -> None:
    model = ScriptedLLM()
    ctx = _ctx("Hello there")
    response = await model.chat(chat_ctx=ctx).collect()
    prompt_chars = sum(len(m.text_content or "") for m in ctx.messages())
    assert response.usage is not None
    assert response.usage.prompt_tokens == math.ceil(prompt_chars / 4)
    assert response.usage.completion_tokens == math.ceil(len(response.text) / 4)
    assert (model.provider, model.model) == ("scripted", "scripted-sales-1")


def test_scenarios_are_varied_and_deterministic() -> None:
    first, again, other = (
        generate_scenarios(20, 5),
        generate_scenarios(20, 5),
        generate_scenarios(20, 6),
    )
    assert [s.turns for s in first] == [s.turns for s in again]
    assert [s.turns for s in first] != [s.turns for s in other]
    assert {s.kind for s in first} == {
        "booked",
        "bad_email",
        "no_booking",
        "abandoned",
        "questions_only",
    }
    assert len({s.persona.industry for s in first}) >= 5
    assert len({s.session_id for s in first}) == 20
    assert json.dumps([s.turns for s in first])  # plain strings, ready for a script file


def test_typical_bench_call_has_thirty_turns_and_four_tool_calls(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from signalroom.bench.recorder import make_typical_record

    record = make_typical_record(home=tmp_path)
    assert record.user_turns == 30 and len(record.tool_calls) == 4
    assert record.complete and record.metrics_summary.llm_tokens
