"""Real voice notes made in the test with FFmpeg's encoders (PyAV): a tone encoded as a phone's MediaRecorder
would, Opus in WebM (as Chrome writes it: streamed, without a duration in its header) or Ogg, AAC in MP4."""

import io
import math
from array import array

import av

RATE = 48000
FRAME = 960  # 20 ms


class _Stream:
    """A file that cannot seek: the muxer writes as Chrome's MediaRecorder does, no duration, no cues."""

    def __init__(self) -> None:
        self.out = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self.out.write(data)


def encode(container: str, codec: str, seconds: float, *, seekable: bool = True, bit_rate: int = 24000) -> bytes:
    target = io.BytesIO() if seekable else _Stream()
    with av.open(target, "w", format=container) as output:
        stream = output.add_stream(codec, rate=RATE, layout="mono")
        stream.bit_rate = bit_rate
        output.metadata["title"] = "Wang's kitchen"  # a tag the stored copy must not keep
        total = int(seconds * RATE)
        for start in range(0, total, FRAME):
            tone = array("h", (int(9000 * math.sin(2 * math.pi * 440 * (start + i) / RATE)) for i in range(FRAME)))
            frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME)
            frame.planes[0].update(tone.tobytes())
            frame.sample_rate, frame.pts = RATE, start
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return target.getvalue() if isinstance(target, io.BytesIO) else target.out.getvalue()


def webm(seconds: float = 3, **options) -> bytes:  # type: ignore[no-untyped-def]
    """Opus in WebM, streamed like Chrome's recorder: its header says no duration."""
    return encode("webm", "libopus", seconds, seekable=False, **options)


def ogg(seconds: float = 3, **options) -> bytes:  # type: ignore[no-untyped-def]
    return encode("ogg", "libopus", seconds, **options)


def mp4(seconds: float = 3, **options) -> bytes:  # type: ignore[no-untyped-def]
    """AAC in MP4, as Safari's recorder makes it."""
    return encode("mp4", "aac", seconds, **options)
