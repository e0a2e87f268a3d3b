"""``ScriptedLLM``: a deterministic ``livekit.agents.llm.LLM`` that plays a sales model.

It plugs into a real ``AgentSession`` like any provider plugin: it streams ``ChatChunk``s with
text and ``FunctionToolCall``s, and ends each response with a ``CompletionUsage`` so LiveKit's
own metrics path (``LLMMetrics`` → ``session_usage_updated``) counts its tokens.

Token estimate: ``ceil(characters / 4)``, the common rule of thumb for English text with GPT-style
tokenizers. The prompt side counts every character the model was sent (instructions, messages,
tool calls and outputs, and each offered tool's name and description); the completion side
counts the reply text and each tool call's name and JSON arguments.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

from livekit.agents import llm
from livekit.agents.llm import ChatChunk, ChoiceDelta, CompletionUsage, FunctionToolCall
from livekit.agents.types import (
    DEFAULT_API_CONNECT_OPTIONS,
    NOT_GIVEN,
    APIConnectOptions,
    NotGivenOr,
)

from signalroom.simulate.brain import Reply, decide

CHARS_PER_TOKEN = 4.0
PROVIDER = "scripted"
MODEL = "scripted-sales-1"


def estimate_tokens(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN) if chars > 0 else 0


def prompt_chars(items: list[Any], tools: list[Any]) -> int:
    total = 0
    for item in items:
        kind = getattr(item, "type", None)
        if kind == "message":
            total += len(item.text_content or "")
        elif kind == "function_call":
            total += len(item.name) + len(item.arguments)
        elif kind == "function_call_output":
            total += len(item.output)
    for tool in tools:
        info = getattr(tool, "info", None)
        if info is not None:
            total += len(info.name) + len(info.description or "")
    return total


class ScriptedLLM(llm.LLM[Any]):
    """A sales model without a network: see :func:`signalroom.simulate.brain.decide`.

    ``ttft_s`` delays the first chunk (to make latency visible); ``decider`` replaces the
    built-in sales behaviour with any ``(chat items, tool names) -> Reply`` function.
    """

    def __init__(
        self,
        *,
        ttft_s: float = 0.0,
        model: str = MODEL,
        decider: Any = decide,
    ) -> None:
        super().__init__()
        self._ttft_s = ttft_s
        self._model = model
        self._decide = decider
        self.requests = 0

    @property
    def model(self) -> str:
        return self._model

    @property
    def provider(self) -> str:
        return PROVIDER

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> llm.LLMStream:
        self.requests += 1
        return _ScriptedStream(
            self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options
        )


class _ScriptedStream(llm.LLMStream):
    def __init__(
        self,
        owner: ScriptedLLM,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
        conn_options: APIConnectOptions,
    ) -> None:
        super().__init__(owner, chat_ctx=chat_ctx, tools=tools, conn_options=conn_options)
        self._owner = owner

    async def _run(self) -> None:
        items = list(self.chat_ctx.items)
        names = {info.name for t in self.tools if (info := getattr(t, "info", None)) is not None}
        reply: Reply = self._owner._decide(items, names)
        if self._owner._ttft_s > 0:
            await asyncio.sleep(self._owner._ttft_s)
        request_id = f"scripted-{len(items)}"
        words = reply.text.split(" ") if reply.text else []
        for i in range(0, len(words), 4):
            piece = " ".join(words[i : i + 4]) + (" " if i + 4 < len(words) else "")
            self._send(request_id, ChoiceDelta(role="assistant", content=piece))
        calls = [
            FunctionToolCall(
                name=plan.name,
                arguments=json.dumps(plan.arguments),
                call_id=f"call_{len(items)}_{n}",
            )
            for n, plan in enumerate(reply.tool_calls)
        ]
        if calls:
            self._send(request_id, ChoiceDelta(role="assistant", tool_calls=calls))
        completion_chars = len(reply.text) + sum(len(c.name) + len(c.arguments) for c in calls)
        prompt = estimate_tokens(prompt_chars(items, self.tools))
        completion = estimate_tokens(completion_chars)
        self._event_ch.send_nowait(
            ChatChunk(
                id=request_id,
                usage=CompletionUsage(
                    prompt_tokens=prompt,
                    completion_tokens=completion,
                    total_tokens=prompt + completion,
                ),
            )
        )

    def _send(self, request_id: str, delta: ChoiceDelta) -> None:
        self._event_ch.send_nowait(ChatChunk(id=request_id, delta=delta))
