"""Files as received, before anything reads them: which files a folder holds (lock files and
half-written ones left out), which are bundles, and the archive every received byte is kept in."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

BUNDLE_SUFFIXES = {".zip"}
_TEMP_PREFIXES = ("~$", ".~lock", ".")
_TEMP_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial", "~", ".swp")


def is_bundle(path: Path | str) -> bool:
    return Path(path).suffix.lower() in BUNDLE_SUFFIXES


def is_temporary(path: Path) -> bool:
    """Office lock files, hidden files and files a program is still writing."""
    name = path.name
    return name.startswith(_TEMP_PREFIXES) or name.lower().endswith(_TEMP_SUFFIXES)


def collect_files(paths: Iterable[Path | str], is_bundle_dir: Callable[[Path], bool] = lambda _: False) -> list[Path]:
    """Files named, and files under folders named (recursively), in a stable order.
    A folder for which ``is_bundle_dir`` holds is one item (a bundle), not walked."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir() and is_bundle_dir(p):
            found.append(p)
        elif p.is_dir():
            items = []
            for root, dirs, files in os.walk(p):
                here = Path(root)
                bundles = [d for d in dirs if not d.startswith(".") and is_bundle_dir(here / d)]
                items.extend(here / d for d in bundles)
                dirs[:] = [d for d in dirs if not d.startswith(".") and d not in bundles]
                items.extend(f for f in (here / n for n in files) if f.is_file() and not is_temporary(f))
            found.extend(sorted(items))
        elif p.is_file():
            found.append(p)
        else:
            raise FileNotFoundError(p)
    return found


def archive(archive_dir: Path, data: bytes, sha256: str, suffix: str) -> str:
    """Keep the bytes under archive/<2 hex>/<sha256><suffix>; atomic, written once."""
    return _archive(archive_dir, sha256, suffix, lambda fh: fh.write(data))


def archive_file(archive_dir: Path, source: Path, suffix: str) -> tuple[str, str]:
    """The same for a file too big to hold in memory (a donation export): copied in blocks and
    hashed as it is copied, so the copy is always the bytes its name says. (rel, sha256)."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=archive_dir, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as fh, source.open("rb") as src:
            while block := src.read(4 << 20):
                digest.update(block)
                fh.write(block)
            fh.flush()
            os.fsync(fh.fileno())
        sha256 = digest.hexdigest()
        rel = f"{sha256[:2]}/{sha256}{suffix.lower()}"
        target = archive_dir / rel
        if target.exists():
            os.unlink(tmp)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
        return rel, sha256
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _archive(archive_dir: Path, sha256: str, suffix: str, write: Callable) -> str:
    rel = f"{sha256[:2]}/{sha256}{suffix.lower()}"
    target = archive_dir / rel
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    return rel
