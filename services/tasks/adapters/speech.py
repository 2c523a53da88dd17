"""The curriculum's texts read aloud: espeak-ng speaks a text, opusenc and lame compress it,
and the files wait in a cache folder named by the text's hash (decision 0042).

A file's name is the SHA-256 of the voice and the text, so a changed text (a new curriculum
version) gets a new file and a file never changes: the service may tell browsers to keep it
for a year. Each text is kept twice: Ogg Opus, the smallest, which Chromium and Firefox play,
and MP3, which every browser plays (Safari, so every iPhone, does not play Ogg Opus).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

# The checkout's own cache folder (.gitignore'd); the image sets DIGIPOLKU_SPEECH_DIR.
CHECKOUT_SPEECH_DIR = Path(__file__).resolve().parents[3] / ".cache" / "speech"
# espeak-ng's default of 175 words a minute is fast for a listener who reads with difficulty.
WORDS_PER_MINUTE = 150
# Bumped whenever the way a text becomes audio changes, so that every file is made again.
ENCODING_REVISION = 1
KEY = re.compile(r"^[0-9a-f]{64}$")


class SpeechSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIGIPOLKU_", extra="ignore")

    speech_dir: Path = CHECKOUT_SPEECH_DIR


@dataclass(frozen=True)
class AudioFormat:
    suffix: str
    media_type: str
    # The encoder's command line; it reads the WAV on stdin and writes the file named last.
    command: tuple[str, ...]


# Opus at 12 kbit/s, tuned for speech: wideband (8 kHz of audio), about 1.5 kB a second.
OPUS = AudioFormat(
    "opus",
    "audio/ogg",
    ("opusenc", "--quiet", "--speech", "--bitrate", "12", "--comp", "5", "-"),
)
# MP3 at 24 kbit/s, mono, resampled to 16 kHz: about 3 kB a second.
MP3 = AudioFormat(
    "mp3",
    "audio/mpeg",
    ("lame", "--quiet", "-m", "m", "--resample", "16", "-b", "24", "-"),
)
FORMATS = (OPUS, MP3)
FORMAT_BY_SUFFIX = {f.suffix: f for f in FORMATS}
# The Debian packages the three programs come from (the Makefile installs them).
PROGRAMS = {"espeak-ng": "espeak-ng", "opusenc": "opus-tools", "lame": "lame"}


@dataclass(frozen=True)
class Voice:
    language: str
    espeak_voice: str

    @property
    def identity(self) -> str:
        """Everything that changes how a text sounds, hashed with the text."""
        return f"espeak-ng/{self.espeak_voice}/{WORDS_PER_MINUTE}wpm/r{ENCODING_REVISION}"


VOICES = {"fi": Voice("fi", "fi"), "sv": Voice("sv", "sv")}


def audio_key(voice: Voice, text: str) -> str:
    return hashlib.sha256(f"{voice.identity}\n{text}".encode()).hexdigest()


def missing_programs() -> list[str]:
    """The Debian packages still to install before audio can be made here."""
    return sorted({package for program, package in PROGRAMS.items() if not shutil.which(program)})


class SpeechCache:
    """The folder of audio files, each named `<key>.<suffix>`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def configured(cls) -> SpeechCache:
        return cls(SpeechSettings().speech_dir)

    def path(self, key: str, audio: AudioFormat) -> Path:
        return self.directory / f"{key}.{audio.suffix}"

    def has(self, key: str) -> bool:
        return all(self.path(key, audio).is_file() for audio in FORMATS)

    def make(self, voice: Voice, text: str) -> str:
        """Speak the text into every format unless it is there already; returns its key.

        Each file is written beside its place and renamed into it, so a reader (or another
        builder at the same time) sees a whole file or none.
        """
        key = audio_key(voice, text)
        if self.has(key):
            return key
        self.directory.mkdir(parents=True, exist_ok=True)
        # The text goes in on stdin, never as an argument a leading "-" could turn into an option.
        wav = subprocess.run(
            ["espeak-ng", "-v", voice.espeak_voice, "-s", str(WORDS_PER_MINUTE), "--stdout"],
            input=text.encode(),
            capture_output=True,
            check=True,
        ).stdout
        for audio in FORMATS:
            handle, partial = tempfile.mkstemp(dir=self.directory, suffix=".part")
            os.close(handle)
            try:
                subprocess.run(
                    [*audio.command, partial], input=wav, capture_output=True, check=True
                )
                os.replace(partial, self.path(key, audio))
            finally:
                Path(partial).unlink(missing_ok=True)
        return key
