"""Which workers a Gantt chart draws: defaults, --gantt-device, --gantt-rows, their errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpdsl.errors import UserError
from hpdsl.gantt_rows import ALL, GanttView, Pick, parse_view, placed, rows_for
from hpdsl.machine import Machine
from hpdsl.spec import ANY, CoreType, Hardware, Queue


def machine(cores, devices=1):
    """cores: [(name, count, queues)] of a hardware with no memory or links."""
    hw = Hardware("H", tuple(CoreType(n, k, tuple(Queue(f"q{i}", (ANY,)) for i in range(q)))
                             for n, k, q in cores))
    return Machine.of(hw, devices)


GPU = [("SM", 132, 1), ("VEC", 32, 1), ("COPY", 4, 1)]


def cores_of(m, ids):
    return [m.workers[w].core for w in ids.tolist()]


def test_a_device_with_132_workers_of_one_type_shows_every_core_type():
    # 168 workers > 96 rows: equal shares of 32; COPY needs only 4 and VEC takes all its
    # 32, so SM gets the 28 COPY leaves: SM 60, VEC 32, COPY 4, 96 rows in all
    m = machine(GPU)
    rows, note = rows_for(m)
    got = cores_of(m, rows)
    assert (got.count("SM"), got.count("VEC"), got.count("COPY")) == (60, 32, 4)
    assert [m.workers[w].instance for w in rows if m.workers[w].core == "SM"] == list(range(60))
    assert note == "device 0 of 1: 96 of 168 workers shown (SM:0-59 of 132, VEC all 32, COPY all 4)"


def test_whole_instances_are_drawn_for_cores_with_several_queues():
    m = machine([("AIC", 80, 2), ("AIV", 8, 1)])   # 168 workers: 2 queues per AIC
    rows, _ = rows_for(m, GanttView(max_rows=20))
    aic = [m.workers[w] for w in rows if m.workers[w].core == "AIC"]
    assert len(aic) % 2 == 0 and {w.queue for w in aic} == {"q0", "q1"}
    assert cores_of(m, rows).count("AIV") == 8


def test_whole_devices_from_device_0_while_they_fit():
    m = machine([("A", 20, 1), ("B", 10, 1)], devices=5)
    rows, note = rows_for(m)
    assert set(m.worker_device[rows].tolist()) == {0, 1, 2} and len(rows) == 90
    assert note == ("devices 0-2 of 5 shown (90 of 150 workers); the others run the same "
                    "kind of stream")
    assert rows_for(machine([("A", 20, 1)], devices=2)).note == ""


def test_one_device_or_all_of_them():
    m = machine([("A", 20, 1), ("B", 10, 1)], devices=5)
    rows, note = rows_for(m, parse_view("3", None))
    assert set(m.worker_device[rows].tolist()) == {3} and len(rows) == 30
    assert note == "device 3 of 5 shown (30 of 150 workers)"
    rows, note = rows_for(m, parse_view("all", "150"))
    assert len(rows) == 150 and note == ""
    rows, note = rows_for(m, parse_view("all", None))   # 150 > 96: sampled per core type
    # shares of 48 rows each: A's first 48 workers (devices 0-1 and 8 of device 2), B's
    # first 48 (devices 0-3 and 8 of device 4)
    assert cores_of(m, rows).count("A") == 48 and cores_of(m, rows).count("B") == 48
    assert note == "all devices: 96 of 150 workers shown (A 48 of 100, B 48 of 50)"


def test_core_types_and_instances_by_name():
    m = machine([("AIC", 24, 1), ("AIV", 48, 1)], devices=2)
    rows, note = rows_for(m, parse_view("1", "AIV:0-3,AIC:5"))
    assert [m.workers[w].name for w in rows] == ["d1.AIC5.q0"] + [f"d1.AIV{i}.q0" for i in range(4)]
    assert note == "device 1, rows AIV:0-3, AIC:5-5 (5 of 144 workers)"
    rows, _ = rows_for(m, parse_view(None, "AIC"))
    assert len(rows) == 24 and set(m.worker_device[rows].tolist()) == {0}


def test_placed_keeps_the_tasks_on_drawn_rows_that_ran():
    m = machine([("A", 4, 1)])
    shown = rows_for(m, parse_view(None, "A:2-3"))
    t, row = placed(shown, 4, np.array([0, -1, 5, 7]), np.array([2, 3, 0, 3]))
    assert t.tolist() == [0, 3] and row.tolist() == [0, 1]


def test_parse_view():
    assert parse_view(None, None) == GanttView()
    assert parse_view("all", "AIC:2-4") == GanttView(ALL, (Pick("AIC", 2, 4),))
    assert parse_view("0", "200").max_rows == 200


@pytest.mark.parametrize("device, rows, message", [
    ("x", None, "--gantt-device must be a device number (0, 1, ...) or 'all', got 'x'"),
    ("-1", None, "--gantt-device must be a device number (0, 1, ...) or 'all', got '-1'"),
    (None, "0", "--gantt-rows must be between 1 and 1000 rows, got 0"),
    (None, "1001", "--gantt-rows must be between 1 and 1000 rows, got 1001"),
    (None, "AIC:3-1", ("--gantt-rows: 'AIC:3-1' is neither a number of rows nor CORE, "
                      "CORE:I or CORE:I-J (instances I to J of a core type)")),
    (None, "AIC,", ("--gantt-rows: '' is neither a number of rows nor CORE, CORE:I or "
                    "CORE:I-J (instances I to J of a core type)")),
])
def test_bad_options_are_user_errors(device, rows, message):
    with pytest.raises(UserError) as e:
        parse_view(device, rows)
    assert str(e.value) == f"error: {message}"


@pytest.mark.parametrize("device, rows, message", [
    ("2", None, "--gantt-device 2: the machine has 2 device(s), 0 to 1"),
    (None, "AIW", ("--gantt-rows: unknown core type 'AIW' (did you mean 'AIV'? valid: "
                   "'AIC', 'AIV')")),
    (None, "AIC:24", "--gantt-rows: AIC has instances 0 to 23, not 24"),
    ("all", "AIC,AIV", None),
])
def test_names_the_machine_lacks_are_user_errors(device, rows, message, monkeypatch):
    import hpdsl.gantt_rows as gr

    m = machine([("AIC", 24, 1), ("AIV", 48, 1)], devices=2)
    if message is None:   # 144 rows: fine under the limit, refused above it
        monkeypatch.setattr(gr, "ROWS_LIMIT", 100)
        message = ("--gantt-rows selects 144 rows, more than the 100 a chart can draw; name "
                   "fewer instances or one device")
    with pytest.raises(UserError) as e:
        rows_for(m, parse_view(device, rows))
    assert str(e.value) == f"error: {message}"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 150), st.integers(1, 3)), min_size=1, max_size=4),
       st.integers(1, 4), st.integers(1, 200), st.sampled_from([None, "0", "all"]))
def test_every_core_type_is_drawn_within_the_limit(cores, devices, limit, device):
    m = machine([(f"C{i}", k, q) for i, (k, q) in enumerate(cores)], devices)
    view = parse_view(device, str(limit))
    rows, _ = rows_for(m, view)
    assert len(set(rows.tolist())) == len(rows) and (np.diff(rows) > 0).all()
    # every core type keeps a row (a whole instance) even past the limit
    assert {m.workers[w].core for w in rows} == {f"C{i}" for i in range(len(cores))}
    assert len(rows) <= max(limit, sum(q for _, q in cores))
    for w in rows.tolist():   # whole instances: all queues of an instance or none
        inst = {v for v in range(len(m.workers)) if m.workers[v].device == m.workers[w].device
                and m.workers[v].core == m.workers[w].core
                and m.workers[v].instance == m.workers[w].instance}
        assert inst <= set(rows.tolist())


def test_shares_are_whole_instances_within_the_limit():
    # a one-queue type with two instances and a two-queue type with one, three rows:
    # shares counted in rows gave each type one row, and the two-queue type's one
    # instance then took two (four rows in all)
    m = machine([("C0", 2, 1), ("C1", 1, 2)], 1)
    rows, _ = rows_for(m, parse_view(None, "3"))
    assert len(rows) == 3 and {m.workers[w].core for w in rows} == {"C0", "C1"}
