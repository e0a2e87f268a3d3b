"""Support code for testing LiveKit agents with signalroom's parts, offline and deterministic.

- :class:`ScriptedLLM`: a ``livekit.agents.llm.LLM`` that plays a sales model and reports token
  usage through LiveKit's own metrics (provider ``scripted``, model ``scripted-sales-1``).
- :func:`decide`: its decision function (``signalroom.simulate.brain``), to build other
  scripted models on.
- :class:`RecordCapture`: a ``SessionRecorder`` sink that keeps every record.
- :class:`MemoryTransport`: the in-memory queue transport.
"""

from signalroom.simulate.brain import Reply, ToolCallPlan, decide
from signalroom.transports.memory import MemoryTransport

from .capture import RecordCapture
from .scripted_llm import CHARS_PER_TOKEN, ScriptedLLM, estimate_tokens

__all__ = [
    "CHARS_PER_TOKEN",
    "MemoryTransport",
    "RecordCapture",
    "Reply",
    "ScriptedLLM",
    "ToolCallPlan",
    "decide",
    "estimate_tokens",
]
