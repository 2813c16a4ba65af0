"""The request gate: rate-limit pauses shared by a client's calls, and pacing.

The gate's own rules run on a fake clock; the clients' use of it runs
against the fake server, with the retry sleeps recorded (``sleeps``) or, for
pacing across threads, for real with only a lower bound on the time taken
(the gate's spacing guarantees it).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Iterator

import pytest
from stability_v1alpha import AsyncStability, InvalidRequestError, RateLimitError, Stability
from stability_v1alpha._pacing import RequestGate, is_rate_limited
from stability_v1alpha.testing import FakeStabilityServer
from support import SleepRecorder


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# -- the gate, on a fake clock ---------------------------------------------------


def test_an_unpaced_gate_waits_only_for_a_pause(clock: FakeClock):
    gate = RequestGate(clock=clock)
    assert [gate.delay_before_send() for _ in range(3)] == [0.0, 0.0, 0.0]
    gate.pause(2.0)
    assert gate.delay_before_send() == 2.0
    assert gate.pause_remaining() == 2.0
    clock.advance(1.5)
    assert gate.delay_before_send() == pytest.approx(0.5)
    clock.advance(0.5)
    assert gate.delay_before_send() == 0.0 and gate.pause_remaining() == 0.0


def test_a_retry_back_off_and_the_pause_make_one_wait(clock: FakeClock):
    gate = RequestGate(clock=clock)
    assert gate.delay_before_send(3.0) == 3.0  # the caller's own wait, exactly
    clock.advance(3.0)
    gate.pause(1.0)
    assert gate.delay_before_send(0.5) == 1.0  # the longer of the two


def test_during_a_pause_the_earliest_end_wins_and_it_counts_once(clock: FakeClock):
    gate = RequestGate(clock=clock)
    assert gate.pauses == 0
    assert gate.pause(2.0) == 2.0  # the caller that reports it waits the same
    clock.advance(0.2)
    # A later answer of the same pause: its end is later, so the pause's holds,
    # for its caller too.
    assert gate.pause(2.0) == pytest.approx(1.8)
    assert gate.pause_remaining() == pytest.approx(1.8)
    assert gate.pause(1.0) == 1.0  # a tighter bound: the pause ends sooner
    assert gate.pauses == 1 and gate.pause_remaining() == 1.0
    clock.advance(1.0)
    gate.pause(3.0)
    assert gate.pauses == 2
    for nothing in (0.0, -1.0, math.nan):
        gate.pause(nothing)
    assert gate.pauses == 2 and gate.pause_remaining() == 3.0


def test_pacing_hands_out_slots_in_order_without_bursts(clock: FakeClock):
    gate = RequestGate(10, clock=clock)
    waits = [gate.delay_before_send() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    clock.advance(5.0)  # idle: no credit is saved up for a burst
    assert gate.delay_before_send() == 0.0
    assert gate.delay_before_send() == pytest.approx(0.1)


def test_slots_inside_a_new_pause_are_given_again_after_it_in_order(clock: FakeClock):
    gate = RequestGate(10, clock=clock)
    slots = [clock.now + gate.delay_before_send() for _ in range(4)]  # +0, .1, .2, .3
    clock.advance(0.05)
    gate.pause(1.0)  # a 429 arrived: until +1.05
    until = clock.now + 1.0
    new_slots = []
    for slot in slots[1:]:
        clock.now = slot  # each caller wakes at its slot, inside the pause
        new_slots.append(clock.now + gate.delay_after_wait())
    assert new_slots == pytest.approx([until, until + 0.1, until + 0.2])
    for slot in new_slots:
        clock.now = slot
        assert gate.delay_after_wait() == 0.0


def test_a_slot_reserved_with_the_pause_in_view_is_kept(clock: FakeClock):
    gate = RequestGate(clock=clock)
    gate.pause(2.0)
    assert gate.delay_before_send() == 2.0
    # Even if the caller's sleep came back early, it is not queued again.
    assert gate.delay_after_wait() == 0.0


def test_copies_share_the_pause_and_pace_on_their_own(clock: FakeClock):
    gate = RequestGate(10, clock=clock)
    copy = gate.with_rate(None)
    assert copy.max_requests_per_second is None and gate.max_requests_per_second == 10
    assert [copy.delay_before_send() for _ in range(2)] == [0.0, 0.0]
    assert [gate.delay_before_send() for _ in range(2)] == pytest.approx([0.0, 0.1])
    copy.pause(2.0)
    assert gate.pause_remaining() == 2.0 and gate.pauses == 1
    assert gate.delay_before_send() == 2.0


def test_many_threads_never_share_a_slot(clock: FakeClock):
    gate = RequestGate(100, clock=clock)
    waits: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def reserve() -> None:
        start.wait()
        mine = [gate.delay_before_send() for _ in range(50)]
        with lock:
            waits.extend(mine)

    threads = [threading.Thread(target=reserve) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(round(w * 100) for w in waits) == list(range(400))


@pytest.mark.parametrize("rate", [0, -1, math.nan, math.inf, True, "5"])
def test_a_bad_rate_is_refused(rate: object):
    with pytest.raises(InvalidRequestError, match="max_requests_per_second"):
        RequestGate(rate)  # type: ignore[arg-type]


def test_which_answers_pause_the_client():
    assert is_rate_limited(429, {})
    assert is_rate_limited(503, {"retry-after": "2"})
    assert not is_rate_limited(503, {})
    assert not is_rate_limited(500, {"retry-after": "2"})


# -- the clients, against the fake server -------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[FakeStabilityServer]:
    with FakeStabilityServer() as srv:
        yield srv


@pytest.fixture
def fake(server: FakeStabilityServer) -> Iterator[FakeStabilityServer]:
    server.reset()
    yield server
    server.reset()


def test_a_429_holds_back_the_next_call_of_a_copy(fake: FakeStabilityServer, sleeps: SleepRecorder):
    client = Stability(fake.api_key, base_url=fake.base_url, max_retries=0)
    copy = client.with_options(timeout=30)
    fake.fail_next(429, retry_after=7)
    with pytest.raises(RateLimitError):
        client.text_to_image("cat")
    assert sleeps.delays == []
    copy.text_to_image("cat")  # waits out the pause instead of being refused
    (wait,) = sleeps.delays
    assert 6.0 < wait <= 7.0
    assert [r.status for r in fake.requests] == [429, 200]


def test_a_503_with_retry_after_pauses_and_one_without_does_not(
    fake: FakeStabilityServer, sleeps: SleepRecorder
):
    client = Stability(fake.api_key, base_url=fake.base_url, max_retries=0)
    fake.fail_next(503)
    with pytest.raises(Exception, match="503"):
        client.text_to_image("cat")
    client.text_to_image("cat")
    assert sleeps.delays == []
    fake.fail_next(503, retry_after=4)
    with pytest.raises(Exception, match="503"):
        client.text_to_image("cat")
    client.text_to_image("cat")
    assert len(sleeps.delays) == 1 and 3.0 < sleeps.delays[0] <= 4.0


def test_async_calls_are_paced_in_order(fake: FakeStabilityServer, sleeps: SleepRecorder):
    async def run() -> None:
        async with AsyncStability(
            fake.api_key, base_url=fake.base_url, max_requests_per_second=10
        ) as client:
            await asyncio.gather(*(client.text_to_image("cat") for _ in range(5)))

    asyncio.run(run())
    assert len(fake.requests) == 5
    # The first went at once; each other waited for its slot, 1/10 s after the one before
    # (the recorded waits pass on the gate's clock, as if slept).
    assert sleeps.delays == pytest.approx([0.1] * 4)


def test_threads_sharing_a_paced_client_keep_to_the_rate(fake: FakeStabilityServer):
    client = Stability(fake.api_key, base_url=fake.base_url, max_requests_per_second=40)
    started = time.monotonic()
    threads = [
        threading.Thread(target=lambda: [client.text_to_image("cat") for _ in range(3)])
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 18 sends 1/40 s apart: the last cannot go before 17/40 s (the gate's guarantee).
    assert time.monotonic() - started >= 17 / 40 - 0.01
    assert len(fake.requests) == 18


def test_the_rate_is_an_option_of_the_client_and_its_copies(fake: FakeStabilityServer):
    client = Stability(fake.api_key, base_url=fake.base_url)
    assert client.max_requests_per_second is None
    paced = client.with_options(max_requests_per_second=2.5)
    assert paced.max_requests_per_second == 2.5 and client.max_requests_per_second is None
    assert paced.with_options(timeout=5).max_requests_per_second == 2.5
    for bad in (0, "fast"):
        with pytest.raises(InvalidRequestError, match="max_requests_per_second"):
            Stability(fake.api_key, max_requests_per_second=bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidRequestError, match="max_requests_per_second"):
            client.with_options(max_requests_per_second=bad)  # type: ignore[arg-type]
