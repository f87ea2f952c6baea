"""Folder locks: a second writer into the same output meets a clear message, not a silent overwrite.

`fcntl.flock` on a small file inside the folder: the kernel drops the lock when its process
exits, so a writer killed with `kill -9` never leaves a stale lock behind (the file stays and is
reused; a lock file is never deleted, which would let two processes lock two different files).
A lock guards one writer (a training run, a video, one shard of a dataset); `wait_s` makes a
short critical section (preparing a dataset) wait for the holder instead of failing.
"""
from __future__ import annotations

import errno
import fcntl
import os
import shutil
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

from .errors import BusyError

LOCK_NAME = ".regolith-lock"
NO_LOCKS = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS)


def lock_path(folder: str | Path) -> Path:
    return Path(folder) / LOCK_NAME


class FolderLock:
    """A held lock on `folder/name`; `release()` (or process exit) gives it back."""

    def __init__(self, folder: str | Path, name: str = LOCK_NAME, what: str = "this folder", wait_s: float = 0.0):
        self.path, self.fd = Path(folder) / name, None
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno in NO_LOCKS:  # a file system without locks: run, as before, but say so
                    warnings.warn(f"{self.path.parent}: this file system has no file locks; a second "
                                  "regolith writer into it would not be refused")
                    return
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    self.release()
                    raise
                if time.monotonic() >= deadline:
                    holder = self._holder()
                    self.release()
                    raise BusyError(f"{Path(folder)}: {what} is in use by another regolith process"
                                    f"{f' (pid {holder})' if holder else ''}; wait for it to finish, "
                                    "or use another --out") from None
                time.sleep(0.05)
        os.ftruncate(self.fd, 0)  # name the holder for whoever is refused next
        os.pwrite(self.fd, f"{os.getpid()}\n".encode(), 0)

    def _holder(self) -> str | None:
        try:
            return os.pread(self.fd, 32, 0).decode().strip() or None
        except (OSError, UnicodeDecodeError):
            return None

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the only descriptor drops the flock
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()

    def __del__(self):
        self.release()


@contextmanager
def locked_folder(folder: str | Path, what: str):
    """Create `folder` if needed and hold its lock; if the work inside fails and the folder (made
    by this call) holds nothing but the lock, it is removed: a refused run leaves nothing behind."""
    folder = Path(folder)
    top = None
    for d in (folder, *folder.parents):
        if d.exists():
            break
        top = d
    folder.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(folder, what=what)
    try:
        yield lock
    except BaseException:
        if top is not None and [p.name for p in folder.iterdir()] == [LOCK_NAME]:
            shutil.rmtree(top, ignore_errors=True)
        raise
    finally:
        lock.release()
