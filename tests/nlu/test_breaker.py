"""The circuit breaker's states on a hand-moved clock."""

from __future__ import annotations

from rasa_fakes import ManualClock

from nlu.breaker import CircuitBreaker


def test_opens_only_after_threshold_failures_in_a_row() -> None:
    breaker = CircuitBreaker(threshold=3, cooldown_seconds=10.0, clock=ManualClock())
    assert not breaker.failed() and not breaker.failed()
    breaker.succeeded()  # a success in between resets the count
    assert not breaker.failed() and not breaker.failed()
    assert breaker.allows()
    assert breaker.failed()
    assert (breaker.state, breaker.allows()) == ("open", False)


def test_one_trial_per_cool_down_while_the_others_stay_out() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(threshold=1, cooldown_seconds=10.0, clock=clock)
    breaker.failed()
    clock.now = 9.9
    assert not breaker.allows()
    clock.now = 10.0
    assert breaker.allows()
    assert breaker.state == "half_open"
    assert not breaker.allows()  # a second caller during the trial
    assert breaker.failed()  # the trial failed: open again for a full cool-down
    clock.now = 19.9
    assert not breaker.allows()
    clock.now = 20.0
    assert breaker.allows()
    breaker.succeeded()
    assert (breaker.state, breaker.allows()) == ("closed", True)


def test_a_trial_that_never_reports_does_not_block_forever() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(threshold=1, cooldown_seconds=10.0, clock=clock)
    breaker.failed()
    clock.now = 10.0
    assert breaker.allows()  # this trial's task is then cancelled: no success, no failure
    clock.now = 20.0
    assert breaker.allows()
