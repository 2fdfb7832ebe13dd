"""The one exception family. Pages catch RehearseError and show its message; anything else is a bug.

RehearseError
├── AudioDeviceError
├── AudioError
├── BackupError
├── BankError
├── BenchError
├── ConfigError
├── DebriefError
├── DrillError
├── NotFoundError
├── SearchError
├── StorageError
│   └── DatabaseDamagedError
├── TranscriptionError
│   └── ModelFormatError
└── VoiceError

(tests/test_errors.py checks this tree against the classes below.)
"""


class RehearseError(Exception):
    """Something the user can act on; the message says what was wrong and what to do."""


class ConfigError(RehearseError):
    """A setting or environment variable has a value Rehearse cannot use."""


class BankError(RehearseError):
    """A question bank file is broken."""


class DrillError(RehearseError):
    """A drill file is broken or refers to something that does not exist."""


class AudioError(RehearseError):
    """A recording is empty, silent, too short, or cannot be decoded."""


class TranscriptionError(RehearseError):
    """The speech model could not be loaded or could not transcribe a recording."""


class ModelFormatError(TranscriptionError):
    """A model.bin Rehearse cannot make an int8 copy of (the original is loaded instead)."""


class BenchError(RehearseError):
    """A benchmark folder or its manifest.tsv cannot be used."""


class VoiceError(RehearseError):
    """The prompt voice could not be loaded or could not speak a text."""


class StorageError(RehearseError):
    """The database or the data folder cannot be read or written."""


class DatabaseDamagedError(StorageError):
    """rehearse.db is not a readable SQLite database (damaged or overwritten); it is kept as it is."""


class DebriefError(RehearseError):
    """A debrief is missing what an action needs, or has a value that cannot be used."""


class SearchError(RehearseError):
    """A history search or filter the database cannot run."""


class BackupError(RehearseError):
    """A backup archive cannot be written, read or restored."""


class NotFoundError(RehearseError):
    """A session, answer or question id that does not exist."""


class AudioDeviceError(RehearseError):
    """PortAudio is missing, or no usable microphone or speaker is there (terminal drill)."""
