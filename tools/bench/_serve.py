"""Run the fake server in a process of its own, for the benchmark.

The server runs apart from the measured client so that neither its CPU time
nor its allocations land in the client's figures: in one interpreter the two
would share one GIL (the server's threads would pause the client at random)
and tracemalloc/RSS would count the server's image buffers.

Protocol: one JSON line on stdout, ``{"base_url": ..., "api_key": ...}``, once
the server accepts connections; then ``latency SECONDS`` lines on stdin set
the server's added latency (answered by ``ok``); the server stops when stdin
closes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["ServerProcess"]

ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    """``with ServerProcess() as server: server.base_url; server.set_latency(0.05)``"""

    def __init__(self) -> None:
        self.base_url = ""
        self.api_key = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Self:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tools.bench._serve"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready = json.loads(self._reply())
        self.base_url, self.api_key = ready["base_url"], ready["api_key"]
        return self

    def set_latency(self, seconds: float) -> None:
        """Seconds the server adds to every answer from now on."""
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(f"latency {seconds!r}\n")
        self._process.stdin.flush()
        if self._reply().strip() != "ok":
            raise RuntimeError("the fake server process did not accept the latency")

    def _reply(self) -> str:
        assert self._process is not None and self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._process.wait(timeout=10)
            raise RuntimeError("the fake server process exited unexpectedly")
        return line

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()

    from stability_v1alpha.testing import FakeStabilityServer

    with FakeStabilityServer() as server:
        print(json.dumps({"base_url": server.base_url, "api_key": server.api_key}), flush=True)
        for line in sys.stdin:  # until the parent closes the pipe (or exits)
            command, _, value = line.strip().partition(" ")
            if command == "latency":
                server.latency = float(value)
                print("ok", flush=True)
            else:
                print(f"unknown command {command!r}", flush=True)


if __name__ == "__main__":
    main()
