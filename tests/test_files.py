"""Nothing lost: saves are atomic, never partial, and never replace a file unasked.

``GeneratedImage.save`` (and the CLI, which saves through it) writes a hidden
temporary file in the target's directory, fsyncs it and only then gives it
the final name. These tests check the promises that follow:

* the target path holds either nothing or the complete bytes, at every moment:
  while a slow write is in progress, after a write that fails, and after the
  writing process is killed with SIGKILL at random moments (in the middle of
  a 64 MB write, and in the CLI);
* an existing file is never replaced without ``overwrite=True`` /
  ``--overwrite``, even if it appears while the image is being written;
* a failed save leaves no temporary file behind (after SIGKILL one may stay:
  a hidden ``.<name>.<random>.part`` next to the target, never the target).
"""

from __future__ import annotations

import errno
import hashlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from stability_v1alpha import GeneratedImage
from stability_v1alpha import _files as files_module
from stability_v1alpha._png import read_png_info
from stability_v1alpha.testing import FakeStabilityServer
from support import KEY, PNG_8, png

BIG = 64 * 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]

# The moments of the kills are drawn from this seed, so a failure can be reproduced.
KILL_SEED = 20261201


def image(data: bytes = PNG_8) -> GeneratedImage:
    return GeneratedImage(data, 1, "SUCCESS")


def fresh_dir(parent: Path, name: str) -> Path:
    directory = parent / name
    directory.mkdir()
    return directory


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


# ------------------------------------------------------------------------------------------------
# In process
# ------------------------------------------------------------------------------------------------


def test_save_writes_the_exact_bytes_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    assert image().save(target) == target
    assert target.read_bytes() == PNG_8
    assert leftovers(tmp_path) == []
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_existing_file_is_never_replaced_by_default(tmp_path: Path) -> None:
    target = tmp_path / "precious.png"
    target.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        image().save(target)
    assert target.read_bytes() == b"precious"
    assert leftovers(tmp_path) == []
    image().save(target, overwrite=True)
    assert target.read_bytes() == PNG_8
    assert leftovers(tmp_path) == []


def test_existing_symlink_is_not_followed_or_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real.png"
    real.write_bytes(b"keep")
    link = tmp_path / "link.png"
    link.symlink_to(real)
    with pytest.raises(FileExistsError):
        image().save(link)
    dangling = tmp_path / "dangling.png"
    dangling.symlink_to(tmp_path / "nowhere.png")
    with pytest.raises(FileExistsError):
        image().save(dangling)
    assert real.read_bytes() == b"keep" and not (tmp_path / "nowhere.png").exists()


def test_file_appearing_during_the_write_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The no-clobber check holds even against a file created mid-write (hard link, not rename)."""
    target = tmp_path / "race.png"
    real_fsync = os.fsync

    def fsync_and_race(fd: int) -> None:
        real_fsync(fd)
        if not target.exists():
            target.write_bytes(b"the other writer")

    monkeypatch.setattr(files_module.os, "fsync", fsync_and_race)
    with pytest.raises(FileExistsError):
        image().save(target)
    assert target.read_bytes() == b"the other writer"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "failure",
    [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()],
    ids=["disk-full", "ctrl-c"],
)
def test_failed_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    target = tmp_path / "out.png"

    def broken_fsync(fd: int) -> None:
        raise failure

    monkeypatch.setattr(files_module.os, "fsync", broken_fsync)
    with pytest.raises(type(failure)):
        image(b"x" * 100_000).save(target)
    assert not target.exists()
    assert leftovers(tmp_path) == []


def test_directory_and_missing_parent(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        image().save(tmp_path)
    with pytest.raises(FileNotFoundError):
        image().save(tmp_path / "missing" / "out.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


class SlowFile:
    """Wraps the temp file so that a write goes out in 1 MiB pieces, with pauses."""

    def __init__(self, file: Any, pause: float) -> None:
        self._file, self._pause = file, pause

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        for start in range(0, len(view), 1 << 20):
            self._file.write(view[start : start + (1 << 20)])
            self._file.flush()
            time.sleep(self._pause)
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def __enter__(self) -> SlowFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


def test_target_never_seen_partial_during_a_slow_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "slow.png"
    data = random.Random(7).randbytes(16 << 20)
    real_fdopen = os.fdopen
    monkeypatch.setattr(
        files_module.os, "fdopen", lambda *a, **k: SlowFile(real_fdopen(*a, **k), 0.005)
    )
    seen: list[int] = []
    temp_names: set[str] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                seen.append(target.stat().st_size)
            except FileNotFoundError:
                seen.append(-1)
            temp_names.update(leftovers(tmp_path))
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        image(data).save(target)
    finally:
        done.set()
        watcher.join()
    assert -1 in seen, "the watcher never looked before the end"
    assert set(seen) <= {-1, len(data)}, sorted(set(seen))[:5]
    assert target.read_bytes() == data
    # The bytes went to a hidden temp file in the same directory (so the final step is a
    # same-file-system link/rename), which is gone afterwards.
    assert temp_names and all(n.startswith(".slow.png.") for n in temp_names), temp_names
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------------------------------------
# SIGKILL
# ------------------------------------------------------------------------------------------------

# The child builds BIG deterministic bytes, says "ready" and saves them (optionally slowly).
CHILD = textwrap.dedent(
    """
    import os, random, sys, time
    from stability_v1alpha import GeneratedImage
    from stability_v1alpha import _files

    target, size, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    data = random.Random(size).randbytes(size)
    if pause:
        real_fdopen = os.fdopen

        class Slow:
            def __init__(self, f):
                self.f = f
            def write(self, b):
                v = memoryview(b)
                for i in range(0, len(v), 1 << 20):
                    self.f.write(v[i : i + (1 << 20)])
                    self.f.flush()
                    time.sleep(pause)
                return len(b)
            def __getattr__(self, n):
                return getattr(self.f, n)
            def __enter__(self):
                return self
            def __exit__(self, *e):
                self.f.close()

        _files.os.fdopen = lambda *a, **k: Slow(real_fdopen(*a, **k))
    print("ready", flush=True)
    started = time.perf_counter()
    GeneratedImage(data, 1, "SUCCESS").save(target)
    print("saved", time.perf_counter() - started, flush=True)
    """
)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "facade"), str(ROOT / "generated"), env.get("PYTHONPATH", "")]
    )
    return env


def kill_during_save(target: Path, size: int, pause: float, delay: float | None) -> str:
    """Start a child saving ``size`` bytes to ``target``; SIGKILL it ``delay`` s after "ready".

    ``delay`` None kills it only after it reported the save done. Returns what
    the child printed after "ready".
    """
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target), str(size), str(pause)],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    rest = ""
    if delay is None:
        rest = child.stdout.readline()
    else:
        time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    rest += child.stdout.read()
    child.stdout.close()
    return rest


@pytest.fixture(scope="module")
def big_digest() -> str:
    return hashlib.sha256(random.Random(BIG).randbytes(BIG)).hexdigest()


def check_all_or_nothing(target: Path, digest: str) -> str:
    """The target is absent or complete; any temp file left is hidden next to it."""
    for name in leftovers(target.parent):
        assert name.startswith(f".{target.name}.") and name.endswith(".part"), name
    if not target.exists():
        return "absent"
    assert hashlib.sha256(target.read_bytes()).hexdigest() == digest, "PARTIAL FILE"
    return "complete"


def test_sigkill_in_the_middle_of_a_slow_64mb_save(tmp_path: Path, big_digest: str) -> None:
    """64 pieces of 1 MiB, 10 ms apart (>= 0.64 s): kills before 0.6 s land mid-write."""
    rng = random.Random(KILL_SEED)  # seeded: a failing moment can be replayed
    for attempt, moment in enumerate((0.0, 0.15, 0.3, 0.45, 0.6)):
        target = fresh_dir(tmp_path, f"slow-{attempt}") / "out.png"
        kill_during_save(target, BIG, 0.01, moment * rng.uniform(0.9, 1.0))
        assert check_all_or_nothing(target, big_digest) == "absent"
    target = fresh_dir(tmp_path, "slow-done") / "out.png"
    kill_during_save(target, BIG, 0.01, None)
    assert check_all_or_nothing(target, big_digest) == "complete"
    assert leftovers(target.parent) == []


def test_sigkill_at_random_moments_of_a_plain_64mb_save(tmp_path: Path, big_digest: str) -> None:
    """No slowing down: the real write, fsync and link, killed anywhere in them."""
    probe = kill_during_save(fresh_dir(tmp_path, "probe") / "out.png", BIG, 0.0, None)
    took = float(probe.split()[1])
    rng = random.Random(KILL_SEED)  # seeded: a failing moment can be replayed
    for attempt in range(4):
        target = fresh_dir(tmp_path, f"plain-{attempt}") / "out.png"
        kill_during_save(target, BIG, 0.0, rng.uniform(0.0, took * 1.2))
        check_all_or_nothing(target, big_digest)


# ------------------------------------------------------------------------------------------------
# The command line
# ------------------------------------------------------------------------------------------------


def cli(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = child_env() | {"STABILITY_API_KEY": KEY}
    return subprocess.run(
        [sys.executable, "-m", "stability_v1alpha", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        **kwargs,
    )


def test_cli_never_overwrites_by_default(
    tmp_path: Path, fake: FakeStabilityServer, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from stability_v1alpha._cli import main

    monkeypatch.setenv("STABILITY_API_KEY", KEY)
    target = tmp_path / "precious.png"
    target.write_bytes(b"precious")
    fake.reset()
    code = main(["text-to-image", "x", "--base-url", fake.base_url, "--out", str(target)])
    assert code == 2
    assert target.read_bytes() == b"precious"
    assert "--overwrite" in capsys.readouterr().err
    code = main(
        ["text-to-image", "x", "--base-url", fake.base_url, "--out", str(target), "--overwrite"]
    )
    assert code == 0
    assert read_png_info(target.read_bytes()).width == 512
    assert leftovers(tmp_path) == []


def test_cli_several_samples_never_overwrite(
    tmp_path: Path, fake: FakeStabilityServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --samples 3 into NAME.png, an existing NAME-2.png stays as it was."""
    from stability_v1alpha._cli import main

    monkeypatch.setenv("STABILITY_API_KEY", KEY)
    (tmp_path / "many-2.png").write_bytes(b"keep me")
    fake.reset()
    args = ["text-to-image", "x", "--samples", "3", "--base-url", fake.base_url]
    code = main([*args, "--out", str(tmp_path / "many.png"), "--seed", "5"])
    assert code != 0
    assert (tmp_path / "many-2.png").read_bytes() == b"keep me"
    assert leftovers(tmp_path) == []


CLI_CHILD = textwrap.dedent(
    """
    import os, sys, time
    from stability_v1alpha import _files
    real_fdopen = os.fdopen

    class Slow:
        def __init__(self, f):
            self.f = f
        def write(self, b):
            v = memoryview(b)
            print("writing", flush=True)
            for i in range(0, len(v), 4096):
                self.f.write(v[i : i + 4096])
                self.f.flush()
                time.sleep(0.005)
            return len(b)
        def __getattr__(self, n):
            return getattr(self.f, n)
        def __enter__(self):
            return self
        def __exit__(self, *e):
            self.f.close()

    _files.os.fdopen = lambda *a, **k: Slow(real_fdopen(*a, **k))
    from stability_v1alpha._cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


def test_sigkill_during_a_cli_save(tmp_path: Path, fake: FakeStabilityServer) -> None:
    """The CLI killed while writing its image: the output is absent or a complete PNG."""
    fake.reset()
    outcomes = []
    rng = random.Random(KILL_SEED)  # seeded: a failing moment can be replayed
    for attempt in range(3):
        target = fresh_dir(tmp_path, f"cli-{attempt}") / "out.png"
        flags = ["--base-url", fake.base_url, "--out", str(target), "--seed", str(attempt + 1)]
        child = subprocess.Popen(
            [sys.executable, "-c", CLI_CHILD, "text-to-image", "a cat", *flags, "--quiet"],
            stdout=subprocess.PIPE,
            text=True,
            env=child_env() | {"STABILITY_API_KEY": KEY},
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "writing"
        time.sleep(rng.uniform(0.0, 0.05))
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        child.stdout.close()
        for name in leftovers(target.parent):
            assert name.startswith(f".{target.name}.")
        if target.exists():
            data = target.read_bytes()
            assert read_png_info(data) and data.endswith(png(1, 1)[-12:]), "PARTIAL FILE"
            outcomes.append("complete")
        else:
            outcomes.append("absent")
    assert "absent" in outcomes


def test_cli_end_to_end_writes_a_complete_png(tmp_path: Path, fake: FakeStabilityServer) -> None:
    fake.reset()
    target = tmp_path / "e2e.png"
    result = cli("text-to-image", "a cat", "--base-url", fake.base_url, "--out", str(target))
    assert result.returncode == 0, result.stderr
    assert read_png_info(target.read_bytes()).width == 512
    assert leftovers(tmp_path) == []
