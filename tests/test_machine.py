"""Workers of a machine: how many, and the cap checked before any is built."""
from __future__ import annotations

import pytest

from hpdsl.errors import UserError
from hpdsl.lang import checked_target, loads
from hpdsl.machine import MAX_WORKERS, Machine, worker_count
from hpdsl.spec import CoreType, Hardware, Queue

SPEC = """
hardware H {{
    core X count {count} {{ queue q does matmul, vector, send rate 1 TFLOPS }}
    core Y count 2 {{ queue a does vector  queue b does send }}
    link L bandwidth 10 GB/s latency 1 us
}}
workload W on H {{ devices {devices} tokens 64 hidden 256 experts 64 topk 2 expert_ffn 512
    op dispatch : dispatch
    op up : grouped_matmul(dispatch) n 256
    op combine : combine(up) }}
tiling t for W {{ dispatch chunk 64  up tile 64 x 256  combine chunk 64 }}
graph g on H {{ task a on X takes 1 us }}
"""


def test_worker_count_is_queues_of_instances_of_devices():
    hw = Hardware("H", (CoreType("X", 3, (Queue("q", ("*",)),)),
                        CoreType("Y", 2, (Queue("a", ("*",)), Queue("b", ("*",))))))
    assert worker_count(hw, 4) == 4 * (3 + 2 * 2) == len(Machine.of(hw, 4).workers)


def test_too_many_workers_refused_before_generating_or_building(monkeypatch):
    # core X count 100000 on 64 devices: 6.4M worker objects, 49 s and 2.1 GB, before this
    import hpdsl.generate

    monkeypatch.setattr(hpdsl.generate, "from_tiling", lambda *a: pytest.fail("generated"))
    spec = loads(SPEC.format(count=100_000, devices=64), "w.hpm")
    with pytest.raises(UserError) as e:
        checked_target(spec, "t")
    assert str(e.value) == ("w.hpm:2:1: error: hardware 'H' on 64 device(s) has 6,400,256 "
                            "workers (100,000 X x 1 queue(s), 2 Y x 2 queue(s) per device), more "
                            f"than the {MAX_WORKERS:,} hpdsl builds")
    with pytest.raises(UserError, match="6,400,256 workers"):
        Machine.of(spec.hardware[0], 64)
    # an explicit graph runs on one device: 100,004 workers are fine
    assert checked_target(spec, "g").name == "g"
