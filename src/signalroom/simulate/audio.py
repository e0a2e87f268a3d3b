"""The audio pipeline without microphones or providers: scripted STT and TTS over synthetic PCM.

:class:`AudioRig` wires a real ``AgentSession`` to

- ``SyntheticAudioInput``: the caller "speaks" a tone whose length follows the words, then a
  short silence, as 20 ms 16 kHz frames through ``livekit.agents.voice.io.AudioInput``;
- ``ScriptedSTT``: a streaming STT that hears the tone (sample energy), and at the silence that
  follows emits the expected transcript, end of speech and its usage (the seconds of audio it
  was really pushed), like a cloud STT's usage report;
- ``ScriptedTTS``: a non-streaming TTS that renders each sentence as PCM sized to its text;
- ``FastForwardAudioOutput``: a speaker that plays instantly, reporting playback started and
  finished so LiveKit computes end-to-end latency.

So STT audio seconds, TTS characters and per-turn latencies come from LiveKit's own metrics.
Turn detection is the STT's end of speech (``turn_detection="stt"``), no VAD.
"""

from __future__ import annotations

import asyncio
import collections
import math
import time
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents import AgentSession, LanguageCode, stt, tts, utils
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions
from livekit.agents.voice.io import AudioInput, AudioOutput, AudioOutputCapabilities

INPUT_RATE = 16_000
OUTPUT_RATE = 24_000
FRAME_MS = 20
WORDS_PER_SECOND = 2.5  # conversational speech
CHARS_PER_SECOND = 15.0  # synthesized speech
SILENCE_S = 0.2
_SPEECH_LEVEL = 300  # int16 amplitude above which a frame counts as speech


def _tone(seconds: float, rate: int, *, freq: float = 220.0, level: int = 4000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * math.pi * freq * t) * level).astype(np.int16)


def _frames(samples: np.ndarray, rate: int) -> list[rtc.AudioFrame]:
    size = rate * FRAME_MS // 1000
    out = []
    for start in range(0, len(samples), size):
        chunk = samples[start : start + size]
        if len(chunk) < size:
            chunk = np.pad(chunk, (0, size - len(chunk)))
        out.append(rtc.AudioFrame(chunk.tobytes(), rate, 1, size))
    return out


class SyntheticAudioInput(AudioInput):
    def __init__(self) -> None:
        super().__init__(label="signalroom.synthetic")
        self._ch = utils.aio.Chan[rtc.AudioFrame]()

    async def __anext__(self) -> rtc.AudioFrame:
        return await self._ch.__anext__()

    def speak(self, seconds: float) -> None:
        for frame in _frames(_tone(seconds, INPUT_RATE), INPUT_RATE):
            self._ch.send_nowait(frame)
        for frame in _frames(np.zeros(int(SILENCE_S * INPUT_RATE), np.int16), INPUT_RATE):
            self._ch.send_nowait(frame)

    def close(self) -> None:
        self._ch.close()


class ScriptedSTT(stt.STT[Any]):
    """Streams: transcripts are the texts queued with :meth:`expect`, in order."""

    def __init__(self) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=True, interim_results=False))
        self._expected: collections.deque[str] = collections.deque()

    @property
    def model(self) -> str:
        return "scripted-stt-1"

    @property
    def provider(self) -> str:
        return "scripted"

    def expect(self, text: str) -> None:
        self._expected.append(text)

    def next_transcript(self) -> str:
        return self._expected.popleft() if self._expected else ""

    async def _recognize_impl(
        self, buffer: Any, *, language: Any = None, conn_options: APIConnectOptions
    ) -> stt.SpeechEvent:
        return self._final(self.next_transcript())

    def stream(
        self, *, language: Any = None, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> stt.RecognizeStream:
        return _ScriptedRecognizeStream(stt=self, conn_options=conn_options)

    @staticmethod
    def _final(text: str) -> stt.SpeechEvent:
        return stt.SpeechEvent(
            type=stt.SpeechEventType.FINAL_TRANSCRIPT,
            alternatives=[stt.SpeechData(language=LanguageCode("en"), text=text, confidence=1.0)],
        )


class _ScriptedRecognizeStream(stt.RecognizeStream):
    async def _run(self) -> None:
        owner: ScriptedSTT = self._stt  # type: ignore[assignment]
        speaking = False
        heard = 0.0
        async for data in self._input_ch:
            if not isinstance(data, rtc.AudioFrame):
                continue
            heard += data.duration
            loud = int(np.abs(np.frombuffer(data.data, dtype=np.int16)).max()) > _SPEECH_LEVEL
            if loud and not speaking:
                speaking = True
                self._event_ch.send_nowait(
                    stt.SpeechEvent(type=stt.SpeechEventType.START_OF_SPEECH)
                )
            elif not loud and speaking:
                speaking = False
                self._event_ch.send_nowait(owner._final(owner.next_transcript()))
                self._event_ch.send_nowait(stt.SpeechEvent(type=stt.SpeechEventType.END_OF_SPEECH))
                self._event_ch.send_nowait(
                    stt.SpeechEvent(
                        type=stt.SpeechEventType.RECOGNITION_USAGE,
                        recognition_usage=stt.RecognitionUsage(audio_duration=heard),
                    )
                )
                heard = 0.0


class ScriptedTTS(tts.TTS[Any]):
    def __init__(self) -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=OUTPUT_RATE,
            num_channels=1,
        )

    @property
    def model(self) -> str:
        return "scripted-tts-1"

    @property
    def provider(self) -> str:
        return "scripted"

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return _ScriptedChunkedStream(tts=self, input_text=text, conn_options=conn_options)


class _ScriptedChunkedStream(tts.ChunkedStream):
    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        output_emitter.initialize(
            request_id=utils.shortuuid("tts_"),
            sample_rate=OUTPUT_RATE,
            num_channels=1,
            mime_type="audio/pcm",
        )
        seconds = max(0.2, len(self.input_text) / CHARS_PER_SECOND)
        output_emitter.push(_tone(seconds, OUTPUT_RATE, freq=330.0).tobytes())
        output_emitter.flush()


class FastForwardAudioOutput(AudioOutput):
    """Plays every segment instantly: playback starts at the first frame, ends at flush."""

    def __init__(self) -> None:
        super().__init__(
            label="signalroom.fast-forward", capabilities=AudioOutputCapabilities(pause=False)
        )
        self._pushed = 0.0

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if self._pushed == 0.0:
            self.on_playback_started(created_at=time.time())
        self._pushed += frame.duration

    def flush(self) -> None:
        super().flush()
        if self._pushed:
            played, self._pushed = self._pushed, 0.0
            self.on_playback_finished(playback_position=played, interrupted=False)

    def clear_buffer(self) -> None:
        if self._pushed:
            played, self._pushed = self._pushed, 0.0
            self.on_playback_finished(playback_position=played, interrupted=True)


class AudioRig:
    """Owns the synthetic devices and scripted speech models of one call."""

    def __init__(self) -> None:
        self.stt = ScriptedSTT()
        self.tts = ScriptedTTS()
        self.audio_in = SyntheticAudioInput()
        self.audio_out = FastForwardAudioOutput()
        self._replies = 0
        self._reply_seen = asyncio.Event()

    def session(self, *, llm: Any, max_tool_steps: int = 3) -> AgentSession[None]:
        session: AgentSession[None] = AgentSession(
            stt=self.stt,
            tts=self.tts,
            llm=llm,
            vad=None,
            max_tool_steps=max_tool_steps,
            user_away_timeout=None,
            turn_handling={
                "turn_detection": "stt",
                "endpointing": {"min_delay": 0.05, "max_delay": 1.0},
                "interruption": {"enabled": False},
                "preemptive_generation": {"enabled": False},
            },
        )
        session.input.audio = self.audio_in
        session.output.audio = self.audio_out
        session.on("conversation_item_added", self._on_item)
        return session

    def _on_item(self, ev: Any) -> None:
        if getattr(ev.item, "role", None) == "assistant":
            self._replies += 1
            self._reply_seen.set()

    async def say(self, session: AgentSession[Any], text: str) -> None:
        """Speak ``text`` as the caller, then wait until the agent has answered and is idle."""
        await session.wait_for_idle()
        before = self._replies
        self.stt.expect(text)
        self.audio_in.speak(max(0.4, len(text.split()) / WORDS_PER_SECOND))
        while self._replies == before:
            self._reply_seen.clear()
            await self._reply_seen.wait()
        await session.wait_for_idle()

    async def aclose(self) -> None:
        self.audio_in.close()
