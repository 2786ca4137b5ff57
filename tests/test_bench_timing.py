"""bench/compare.py's timing protocol (time_together), on the CPU: every backend gets its
timed calls, in blocks that take turns and reverse their order on odd blocks, and a
backend that raises is reported without stopping the others. The numbers it produces
are what bench/RESULTS.md quotes, so the protocol is tested like code."""

import importlib.util
import pathlib
import sys
import types

import pytest
import torch

_COMPARE = pathlib.Path(__file__).resolve().parents[1] / "bench" / "compare.py"


@pytest.fixture(scope="module")
def compare():
    spec = importlib.util.spec_from_file_location("liteattn_bench_compare", _COMPARE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def options(**overrides):
    base = dict(warmup=1, repeats=6, max_seconds=60.0, blocks=2, settle_seconds=0.0)
    base.update(overrides)
    return types.SimpleNamespace(**base)


def recording_runner(compare, name, log, fail_on_call=None):
    calls = {"n": 0}

    def call(i):
        calls["n"] += 1
        if fail_on_call is not None and calls["n"] >= fail_on_call:
            raise RuntimeError(f"{name} broke")
        log.append(name)
        return torch.zeros(1)

    return compare.Runner(name, call, "bshd")


def test_every_backend_is_timed_in_blocks_that_take_turns(compare):
    log = []
    runners = [recording_runner(compare, n, log) for n in ("a", "b", "c")]
    results = compare.time_together(runners, 2, options(), torch.device("cpu"))

    assert set(results) == {"a", "b", "c"}
    for name in "abc":
        timing = results[name].timing
        assert results[name].error is None
        assert len(timing.times_ms) == 6  # repeats, split over the two blocks
        assert timing.min_ms <= timing.median_ms <= timing.max_ms
        assert len(timing.block_medians_ms) == 2  # one median per timed block
        assert all(timing.min_ms <= m <= timing.max_ms for m in timing.block_medians_ms)
    # Warm-up and probe per runner first (2 calls each), then block 0 in order, block 1
    # reversed, 3 timed calls per runner and block.
    timed = log[6:]
    assert timed == ["a"] * 3 + ["b"] * 3 + ["c"] * 3 + ["c"] * 3 + ["b"] * 3 + ["a"] * 3


def test_further_block_pairs_start_one_runner_later(compare):
    log = []
    runners = [recording_runner(compare, n, log) for n in ("a", "b", "c")]
    compare.time_together(runners, 2, options(repeats=6, blocks=6), torch.device("cpu"))
    timed = log[6:]  # after the warm-up and probe calls; one timed call a block
    orders = ["".join(timed[i:i + 3]) for i in range(0, 18, 3)]
    assert orders == ["abc", "cba", "bca", "acb", "cab", "bac"]
    # Every runner at every place, forwards and backwards.
    for place in range(3):
        assert sorted(order[place] for order in orders) == ["a", "a", "b", "b", "c", "c"]


def test_every_block_starts_with_the_same_conditioning_load(compare):
    log = []
    runners = [recording_runner(compare, n, log) for n in ("a", "b")]
    compare.time_together(runners, 2, options(), torch.device("cpu"),
                          condition=lambda: log.append("load"))
    # After the warm-up and probe calls (2 a runner), each of the 2 x 2 blocks: the load,
    # then its 3 timed calls.
    assert log[4:] == (["load"] + ["a"] * 3 + ["load"] + ["b"] * 3 +
                       ["load"] + ["b"] * 3 + ["load"] + ["a"] * 3)


def test_no_conditioning_load_on_the_cpu(compare):
    assert compare.gemm_conditioner(torch.device("cpu"), 0.3) is None


def test_input_sets_keep_rotating_across_blocks(compare):
    sets = []

    def call(i):
        sets.append(i)
        return torch.zeros(1)

    runner = compare.Runner("a", call, "bshd")
    compare.time_together([runner], 2, options(repeats=5), torch.device("cpu"))
    # warm-up (set 0), probe (set 1), then 3 + 2 timed calls: no set twice in a row.
    assert sets == [0, 1, 0, 1, 0, 1, 0]


def test_a_backend_that_raises_is_reported_and_the_others_are_timed(compare):
    log = []
    runners = [recording_runner(compare, "ok", log),
               recording_runner(compare, "broken", log, fail_on_call=4),
               recording_runner(compare, "never", log, fail_on_call=1)]
    results = compare.time_together(runners, 2, options(), torch.device("cpu"))

    assert results["ok"].timing is not None and len(results["ok"].timing.times_ms) == 6
    assert results["broken"].timing is None and "broken broke" in results["broken"].error
    assert results["never"].timing is None and "never broke" in results["never"].error


def test_the_call_budget_bounds_the_number_of_calls(compare):
    log = []
    runners = [recording_runner(compare, "a", log)]
    # max_seconds so small that the budget allows fewer than 5 calls: 5 is the floor.
    results = compare.time_together(runners, 2, options(repeats=100, max_seconds=1e-9),
                                    torch.device("cpu"))
    assert len(results["a"].timing.times_ms) == 5  # 3 + 2 over the two blocks


def sleeping_runner(compare, name, ms, log):
    import time

    def call(i):
        log.append(name)
        time.sleep(ms / 1e3)
        return torch.zeros(1)

    return compare.Runner(name, call, "bshd")


def test_an_encoding_far_slower_than_the_fastest_is_probed_but_not_timed(compare):
    log = []
    # Sleeps long enough that a loaded machine's oversleeping cannot split the twins.
    runners = [sleeping_runner(compare, "fast", 20, log), sleeping_runner(compare, "slow", 400, log),
               sleeping_runner(compare, "twin", 20, log)]
    kept, left_out = compare.keep_competitive(runners, 2, options(), torch.device("cpu"))

    assert [r.name for r in kept] == ["fast", "twin"]
    assert list(left_out) == ["slow"] and left_out["slow"] >= 400
    assert log == ["fast"] * 2 + ["slow"] * 2 + ["twin"] * 2  # warm-up and probe, each


def test_a_single_encoding_or_one_that_raises_is_kept_for_time_together(compare):
    log = []
    only = [sleeping_runner(compare, "only", 1, log)]
    assert compare.keep_competitive(only, 2, options(), torch.device("cpu")) == (only, {})
    assert log == []  # nothing to choose between: not even probed

    runners = [sleeping_runner(compare, "fast", 2, log),
               recording_runner(compare, "broken", log, fail_on_call=1)]
    kept, left_out = compare.keep_competitive(runners, 2, options(), torch.device("cpu"))
    assert [r.name for r in kept] == ["fast", "broken"] and left_out == {}
