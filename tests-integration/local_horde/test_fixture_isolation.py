"""Each test gets the process's local horde reset: fresh state, the test configuration and a running clock."""

from __future__ import annotations

from horde_local import ManualClock, SystemClock
from horde_local.testing import HordeEnv, test_config


def test_every_test_starts_with_a_running_clock(horde: HordeEnv) -> None:
    # Tests that stop time (ManualClock) must not leave it stopped for the next test on this process: with a
    # stopped clock no ttl abort ever happens, and a test relying on one waits forever.
    assert isinstance(horde.horde.clock, SystemClock)
    assert isinstance(horde.horde.state.clock, SystemClock)
    assert horde.horde.open_requests() == []


def test_a_test_may_stop_the_clock_for_itself(horde: HordeEnv) -> None:
    clock = ManualClock()
    horde.reset(test_config(), clock)
    assert horde.horde.clock is clock
