"""signalroom: a LiveKit voice sales agent and its conversation-analytics pipeline."""
