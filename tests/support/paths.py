"""Where the project and the shared speech clips are, for tests in any folder."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# ../shared/speech beside the main checkout; a git worktree (wt/issueN) sits one level deeper.
SHARED_SPEECH = next(
    (p for p in (ROOT.parent / "shared" / "speech", ROOT.parent.parent / "shared" / "speech") if p.is_dir()),
    ROOT.parent / "shared" / "speech",
)
