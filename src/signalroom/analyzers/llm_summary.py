"""Opt-in summary written by an LLM through an OpenAI-compatible ``/chat/completions`` endpoint.

Off by default (``[analyzers] llm_summary = true`` turns it on). Unlike the other analyzers it
does I/O and costs money, so it runs only where configured; its result is versioned with the
model name so a switch of model shows in the stored results. httpx makes the call; any
OpenAI-compatible server works (OpenAI, a local vLLM or Ollama, a gateway).
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr

from signalroom.record import SessionRecord

CODE_VERSION = "1.0"
PROMPT = (
    "Summarize this sales call for the account executive in at most three sentences: who the "
    "caller is, what they need, and what was agreed. Use only facts from the transcript."
)
#: Transcript characters sent at most, so one long call cannot blow the context or the bill.
MAX_TRANSCRIPT_CHARS = 12_000


class LLMSummaryAnalyzer:
    name = "llm_summary"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: SecretStr | None = None,
        timeout_s: float = 20.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.version = f"{CODE_VERSION}/{model}"
        self.model = model
        headers = {"Authorization": f"Bearer {api_key.get_secret_value()}"} if api_key else {}
        self._client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers=headers,
            timeout=timeout_s,
            transport=transport,
        )

    def analyze(self, record: SessionRecord) -> dict[str, Any]:
        if not record.transcript:
            return {"summary": None, "model": self.model, "note": "no transcript"}
        lines = [f"{item.role}: {item.text}" for item in record.transcript if item.role != "system"]
        transcript = "\n".join(lines)[:MAX_TRANSCRIPT_CHARS]
        response = self._client.post(
            "chat/completions",
            json={
                "model": self.model,
                "temperature": 0,
                "messages": [
                    {"role": "system", "content": PROMPT},
                    {"role": "user", "content": transcript},
                ],
            },
        )
        response.raise_for_status()
        body = response.json()
        try:
            text = body["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise ValueError("the LLM response has no choices[0].message.content") from None
        return {"summary": str(text).strip(), "model": self.model}

    def close(self) -> None:
        self._client.close()
