"""Reading just enough of an Ogg Opus or an MP3 file to know that it is whole and how long it
plays, without a decoder: the tests of the texts read aloud (decision 0042) use it."""

from __future__ import annotations

import struct

OPUS_RATE = 48_000  # Opus granule positions count 48 kHz samples, whatever the input's rate
# MPEG audio: bitrates (kbit/s) of layer III by version, sample rates (Hz) by version.
MPEG1_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
MPEG2_BITRATES = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


class NotAudio(ValueError):
    pass


def ogg_opus_seconds(data: bytes) -> float:
    """The playing time of an Ogg Opus file whose pages follow one another to the last,
    which ends the stream; NotAudio otherwise."""
    offset, pages, granule, pre_skip, ended = 0, 0, 0, 0, False
    while offset < len(data):
        if data[offset : offset + 4] != b"OggS" or ended:
            raise NotAudio(f"no Ogg page at byte {offset}")
        flags = data[offset + 5]
        (granule,) = struct.unpack_from("<q", data, offset + 6)
        segments = data[offset + 26]
        table = data[offset + 27 : offset + 27 + segments]
        body = offset + 27 + segments
        if pages == 0:
            if data[body : body + 8] != b"OpusHead":
                raise NotAudio("the first packet is not an Opus header")
            (pre_skip,) = struct.unpack_from("<H", data, body + 10)
        offset = body + sum(table)
        pages += 1
        ended = bool(flags & 0x04)
    if not ended or offset != len(data) or pages < 3:
        raise NotAudio("the stream does not end where the file does")
    return (granule - pre_skip) / OPUS_RATE


def mp3_seconds(data: bytes) -> float:
    """The playing time of an MP3 file of layer III frames back to back (an ID3v2 tag before
    them allowed); NotAudio when a frame is broken."""
    offset, samples, rate = 0, 0, 0
    if data[:3] == b"ID3":
        size = data[6:10]
        offset = 10 + ((size[0] << 21) | (size[1] << 14) | (size[2] << 7) | size[3])
    frames = 0
    while offset + 4 <= len(data):
        header = int.from_bytes(data[offset : offset + 4], "big")
        if header >> 21 != 0x7FF or (header >> 17) & 3 != 1:
            if data[offset : offset + 3] == b"TAG" and len(data) - offset == 128:
                break  # an ID3v1 tag ends the file
            raise NotAudio(f"no layer III frame at byte {offset}")
        version = (header >> 19) & 3
        bitrate_index, rate_index = (header >> 12) & 15, (header >> 10) & 3
        if version == 1 or bitrate_index in (0, 15) or rate_index == 3:
            raise NotAudio(f"a frame header out of range at byte {offset}")
        bitrates = MPEG1_BITRATES if version == 3 else MPEG2_BITRATES
        rate = SAMPLE_RATES[version][rate_index]
        per_frame = 1152 if version == 3 else 576
        padding = (header >> 9) & 1
        offset += per_frame // 8 * bitrates[bitrate_index] * 1000 // rate + padding
        samples += per_frame
        frames += 1
    if frames < 2 or offset > len(data):
        raise NotAudio("the last frame is cut short")
    return samples / rate
