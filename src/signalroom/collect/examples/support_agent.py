"""A customer-support agent with nothing of the sales agent in it, recorded by ``SessionRecorder``.

It shows the recorder on any LiveKit agent: attach it to the session, read or sink the record.
The one tool follows the recorder's convention (a JSON object output) so its outcome lands in
the record's tool calls; everything else (usage, latency, signals in what the caller says,
close reason) the recorder gets from the session's own events. Run it offline::

    python -m signalroom.collect.examples.support_agent
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from livekit.agents import Agent, AgentSession, RunContext, function_tool

from signalroom.collect import SessionRecorder
from signalroom.record import SessionRecord
from signalroom.testing import Reply, ScriptedLLM, ToolCallPlan

ORDERS = {"A100": "shipped on Monday", "B200": "waiting for stock"}


class SupportAgent(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You help customers track orders. Be brief.")

    @function_tool
    async def lookup_order(self, context: RunContext[Any], order_id: str) -> str:
        """Look up the status of an order.

        Args:
            order_id: The order number, like A100.
        """
        status = ORDERS.get(order_id.upper())
        return json.dumps({"success": status is not None, "status": status or "unknown order"})


def support_model(items: list[Any], tools: set[str]) -> Reply:
    """A scripted support model: looks up any order number it hears, then reads the status."""
    last = items[-1]
    if last.type == "function_call_output":
        return Reply(text=f"Your order is {json.loads(last.output)['status']}.")
    order = re.search(r"\b([A-Za-z]\d{3,})\b", last.text_content or "")
    if order and "lookup_order" in tools:
        return Reply(tool_calls=[ToolCallPlan("lookup_order", {"order_id": order.group(1)})])
    return Reply(text="Sure, what's your order number?")


async def run_support_call(turns: list[str]) -> SessionRecord:
    """One offline support call with the recorder attached; returns its final record."""
    session: AgentSession[None] = AgentSession(
        llm=ScriptedLLM(decider=support_model, model="scripted-support-1"),
        vad=None,
        turn_handling={"turn_detection": None},
    )
    recorder = SessionRecorder(session, room="support-demo", agent_name="support")
    await session.start(SupportAgent())
    for text in turns:
        await session.run(user_input=text)
    await session.aclose()  # the close event finalizes the record
    return await recorder.aclose()


if __name__ == "__main__":
    record = asyncio.run(
        run_support_call(["Hi, where is my order?", "It's A100, we're a team of 12 at a law firm."])
    )
    print(record.model_dump_json(indent=2))
