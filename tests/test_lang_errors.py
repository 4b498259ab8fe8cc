"""Every error message of the language, pinned exactly (one *_with_error.hpm file each)."""
from pathlib import Path

import pytest

from hpdsl.errors import UserError
from hpdsl.lang import load, loads
from hpdsl.lang.check import check_workload

ERRORS = Path(__file__).resolve().parent / "errors"

# (file stem, every diagnostic of the file in order); paths are relative to tests/errors.
PINNED = [
    ('balanced_param', [
        "balanced_param_with_error.hpm:18:22: error: routing balanced takes no parameter, found '2'",
    ]),
    ('binary', [
        "binary_with_error.hpm: error: file 'binary_with_error.hpm' is binary (it contains NUL bytes), not an .hpm text file",
    ]),
    ('capability_missing', [
        "capability_missing_with_error.hpm:20:5: error: no core type of hardware 'Toy' can run op 'dispatch': dispatch needs capability 'send' ('MX' does matmul; 'VX' does vector)",
    ]),
    ('chunk_for_tile_op', [
        "chunk_for_tile_op_with_error.hpm:29:5: error: op 'up' (grouped_matmul) is split in tiles: write 'up tile ROWS x COLUMNS'",
    ]),
    ('comments_only', [
        "comments_only_with_error.hpm: error: file 'comments_only_with_error.hpm' contains only comments; expected hardware, workload, tiling or graph declarations",
    ]),
    ('count_limit', [
        "count_limit_with_error.hpm:2:5: error: core type 'MX' count 1000000 is above the limit of 100000",
    ]),
    ('cycle', [
        "cycle_with_error.hpm:7:5: error: graph 'g' has a dependency cycle: a -> b -> c -> a",
    ]),
    ('devices_limit', [
        'devices_limit_with_error.hpm:12:5: error: devices 8192 is above the limit of 4096',
    ]),
    ('duplicate_core', [
        "duplicate_core_with_error.hpm:3:5: error: core type 'MX' is declared twice in hardware 'Toy' (first at line 2)",
    ]),
    ('duplicate_op', [
        "duplicate_op_with_error.hpm:21:5: error: op 'dispatch' is declared twice in workload 'W' (first at line 20)",
    ]),
    ('duplicate_rule', [
        "duplicate_rule_with_error.hpm:33:5: error: op 'combine' has more than one rule in tiling 't' (first at line 32)",
    ]),
    ('duplicate_statement', [
        "duplicate_statement_with_error.hpm:4:5: error: hardware 'Toy' already has a 'clock' statement (at line 2)",
    ]),
    ('duplicate_target', [
        "duplicate_target_with_error.hpm:10:1: error: target 'g' is declared twice in the spec (first at line 6)",
    ]),
    ('duplicate_task', [
        "duplicate_task_with_error.hpm:8:5: error: task 'a' is declared twice in graph 'g' (first at line 7)",
    ]),
    ('empty', [
        "empty_with_error.hpm: error: file 'empty_with_error.hpm' is empty; expected hardware, workload, tiling or graph declarations",
    ]),
    ('experts_not_divisible', [
        'experts_not_divisible_with_error.hpm:15:5: error: experts 4 is not divisible by devices 3; every device must own the same number of experts',
    ]),
    ('grouped_experts', [
        'grouped_experts_with_error.hpm:18:5: error: routing grouped 3: the group count must divide experts 4',
    ]),
    ('grouped_not_whole', [
        "grouped_not_whole_with_error.hpm:18:5: error: routing grouped needs a whole group count G > 0, e.g. 'routing grouped 8', found 1.5",
    ]),
    ('grouped_topk', [
        'grouped_topk_with_error.hpm:18:5: error: routing grouped 4: the group count must divide topk 2, so every token picks as many experts in each group',
    ]),
    ('import_cycle', [
        'cycle_partner.hpm:2:1: error: import cycle: import_cycle_with_error.hpm -> cycle_partner.hpm -> import_cycle_with_error.hpm',
    ]),
    ('k_slice_not_positive', [
        "k_slice_not_positive_with_error.hpm:4:9: error: core type 'MX' k_slice must be positive, found 0",
    ]),
    ('k_slice_not_whole', [
        "k_slice_not_whole_with_error.hpm:4:17: error: core type 'MX' k_slice must be a whole number, found '2.5'",
    ]),
    ('k_slice_twice', [
        "k_slice_twice_with_error.hpm:5:9: error: core type 'MX' already has a 'k_slice' statement (at line 3)",
    ]),
    ('later_input', [
        "later_input_with_error.hpm:21:5: error: op 'act' reads 'up', which is declared after it; an op may only read an op above it",
    ]),
    ('many_errors', [
        "many_errors_with_error.hpm:7:5: error: task 'a' runs on unknown core type 'CPX' (did you mean 'CPU'? valid: 'ACC', 'CPU')",
        "many_errors_with_error.hpm:8:5: error: the time of task 'b' must not be negative, found -1000 ns",
        "many_errors_with_error.hpm:8:5: error: task 'b' comes after unknown task 'z' (valid: 'a', 'b')",
        "many_errors_with_error.hpm:11:1: error: graph 'h' has no tasks",
    ]),
    ('missing_import', [
        "missing_import_with_error.hpm:1:1: error: cannot import 'no_such_file.hpm': it does not exist",
    ]),
    ('missing_rule', [
        "missing_rule_with_error.hpm:27:1: error: op 'act' of workload 'W' has no rule in tiling 't'",
    ]),
    ('missing_setting', [
        "missing_setting_with_error.hpm:11:1: error: workload 'W' does not set 'hidden'",
    ]),
    ('missing_unit', [
        "missing_unit_with_error.hpm:2:11: error: clock needs a frequency unit, e.g. '1.85 GHz' (valid: 'GHz', 'Hz', 'MHz', 'kHz')",
    ]),
    ('needs_input', [
        "needs_input_with_error.hpm:21:5: error: op 'act' of kind swiglu needs an input, e.g. 'swiglu(x)'",
    ]),
    ('needs_n', [
        "needs_n_with_error.hpm:21:5: error: op 'up' of kind grouped_matmul needs an output width 'n N'",
    ]),
    ('negative_latency', [
        'negative_latency_with_error.hpm:3:5: error: sync latency must not be negative, found -1000 ns',
    ]),
    ('negative_seed', [
        'negative_seed_with_error.hpm:18:5: error: routing seed must not be negative, found -1',
    ]),
    ('negative_time', [
        "negative_time_with_error.hpm:7:5: error: the time of task 'a' must not be negative, found -2000 ns",
    ]),
    ('no_cores', [
        "no_cores_with_error.hpm:1:1: error: hardware 'Toy' declares no core types",
    ]),
    ('no_ops', [
        "no_ops_with_error.hpm:11:1: error: workload 'W' has no ops; declare a chain such as 'op dispatch : dispatch'",
    ]),
    ('no_queues', [
        "no_queues_with_error.hpm:2:5: error: core type 'MX' has no queues; declare 'queue NAME does CAPABILITY' or leave out the body",
    ]),
    ('no_tasks', [
        "no_tasks_with_error.hpm:6:1: error: graph 'g' has no tasks",
    ]),
    ('not_finite', [
        "not_finite_with_error.hpm:12:13: error: devices must be a finite number, found '1e999'",
    ]),
    # one error: the parameter lowering could not use is not checked again as 0
    ('routing_not_finite', [
        "routing_not_finite_with_error.hpm:18:18: error: routing parameter must be a finite number, found '1e999'",
    ]),
    ('not_utf8', [
        "not_utf8_with_error.hpm:1:7: error: file 'not_utf8_with_error.hpm' is not UTF-8 text (byte 0xe9 cannot be decoded)",
    ]),
    ('not_whole', [
        "not_whole_with_error.hpm:2:19: error: core type 'MX' count must be a whole number, found '2.5'",
    ]),
    ('odd_swiglu', [
        "odd_swiglu_with_error.hpm:22:5: error: op 'act' (swiglu) needs an even input width (gate and up halves), but 'up' has 1023 columns",
    ]),
    ('pin_cannot', [
        "pin_cannot_with_error.hpm:29:5: error: core type 'VX' cannot run op 'up': grouped_matmul needs capability 'matmul'",
    ]),
    ('reads_itself', [
        "reads_itself_with_error.hpm:21:5: error: op 'up' reads itself",
    ]),
    ('rule_unknown_op', [
        "rule_unknown_op_with_error.hpm:33:5: error: tiling 't' has a rule for 'comb', which is not an op of workload 'W' (did you mean 'combine'? valid: 'act', 'combine', 'dispatch', 'down', 'up')",
    ]),
    ('rule_not_whole', [   # one error per bad number: no 'has no rule' or 'write chunk' after it
        "rule_not_whole_with_error.hpm:28:20: error: chunk of 'dispatch' must be a whole number, found '32.5'",
        "rule_not_whole_with_error.hpm:31:24: error: tile columns of 'down' must be a whole number, found '25.5'",
    ]),
    ('setting_twice', [
        "setting_twice_with_error.hpm:14:5: error: workload 'W' sets 'tokens' twice (first at line 13)",
    ]),
    ('syntax_bad_number', [
        "syntax_bad_number_with_error.hpm:7:25: error: syntax error: expected a number but found 'fast'",
    ]),
    ('syntax_eof', [
        "syntax_eof_with_error.hpm:3:1: error: syntax error: expected ';', 'cache', 'clock', 'core', 'fabric', 'launch', 'link', 'memory', 'package', 'sync', '{' or '}' but found end of file",
    ]),
    ('syntax', [
        "syntax_with_error.hpm:2:13: error: syntax error: expected 'count' but found '2'",
    ]),
    ('takes_no_n', [
        "takes_no_n_with_error.hpm:22:5: error: op 'act' of kind swiglu takes no output width 'n'; its width follows from its input",
    ]),
    ('time_limit', [   # times are int64 ns summed over the graph; an hour is exactly allowed
        "time_limit_with_error.hpm:4:26: error: sync latency must be at most 1 hour (3.6e+12 ns), found 1e+39 ns",
        "time_limit_with_error.hpm:9:25: error: the time of task 'b' must be at most 1 hour (3.6e+12 ns), found 3.601e+12 ns",
    ]),
    ('tile_for_chunk_op', [
        "tile_for_chunk_op_with_error.hpm:28:5: error: op 'dispatch' (dispatch) is split in chunks of rows: write 'dispatch chunk ROWS'",
    ]),
    ('tile_too_wide', [
        "tile_too_wide_with_error.hpm:30:5: error: tile 32 x 1024 of op 'act' is wider than the op's output (512 columns)",
    ]),
    ('topk_too_large', [
        'topk_too_large_with_error.hpm:15:20: error: topk 8 is greater than experts 4; a token cannot pick more experts than exist',
    ]),
    ('unknown_after', [
        "unknown_after_with_error.hpm:8:5: error: task 'b' comes after unknown task 'laod' (did you mean 'load'? valid: 'b', 'load')",
    ]),
    ('unknown_capability', [
        "unknown_capability_with_error.hpm:3:9: error: unknown capability 'matmull' of queue 'mx' (did you mean 'matmul'? valid: 'matmul', 'send', 'vector')",
    ]),
    ('unknown_core', [
        "unknown_core_with_error.hpm:7:5: error: task 'a' runs on unknown core type 'CPX' (did you mean 'CPU'? valid: 'ACC', 'CPU')",
    ]),
    ('unknown_dtype', [
        "unknown_dtype_with_error.hpm:17:5: error: unknown dtype 'bf61' (did you mean 'bf16'? valid: 'bf16', 'fp16', 'fp32', 'fp8', 'int8')",
    ]),
    ('unknown_hardware', [
        "unknown_hardware_with_error.hpm:11:15: error: unknown hardware 'Tyo' (did you mean 'Toy'? valid: 'Toy')",
    ]),
    ('unknown_input', [
        "unknown_input_with_error.hpm:21:5: error: op 'up' reads 'dispach', which is not an op of workload 'W' (did you mean 'dispatch'? valid: 'dispatch', 'up')",
    ]),
    ('unknown_keyword', [
        "unknown_keyword_with_error.hpm:2:1: error: syntax error: expected 'graph', 'hardware', 'import', 'tiling', 'workload' or end of file but found 'hardwre'",
    ]),
    ('unknown_op_kind', [
        "unknown_op_kind_with_error.hpm:21:5: error: unknown op kind 'groupedmatmul' (did you mean 'grouped_matmul'? valid: 'combine', 'dispatch', 'grouped_matmul', 'matmul', 'quantize', 'swiglu')",
    ]),
    ('unknown_pin', [
        "unknown_pin_with_error.hpm:29:5: error: unknown core type 'MQ' in hardware 'Toy' (valid: 'MX', 'VX')",
    ]),
    ('unknown_routing', [
        "unknown_routing_with_error.hpm:18:5: error: unknown routing kind 'zipff' (did you mean 'zipf'? valid: 'balanced', 'grouped', 'zipf')",
    ]),
    ('unknown_unit', [
        "unknown_unit_with_error.hpm:3:40: error: unknown unit 'usec' for link 'NET' latency (did you mean 'us'? valid: 'ms', 'ns', 's', 'us')",
    ]),
    ('unknown_workload', [
        "unknown_workload_with_error.hpm:27:14: error: unknown workload 'V' (valid: 'W')",
    ]),
    ('wrong_unit', [
        "wrong_unit_with_error.hpm:3:37: error: 'GiB' is a size unit, but memory 'HBM' bandwidth takes a bandwidth unit (did you mean 'GiB/s'? valid: 'B/s', 'GB/s', 'Gbps', 'GiB/s', 'KB/s', 'MB/s', 'TB/s', 'TiB/s')",
    ]),
    ('zero_chunk', [
        "zero_chunk_with_error.hpm:28:5: error: the chunk of op 'dispatch' must be positive, found 0",
    ]),
    ('zero_count', [
        "zero_count_with_error.hpm:2:5: error: core type 'MX' count must be positive, found 0",
    ]),
    ('zero_n', [
        "zero_n_with_error.hpm:21:5: error: op 'up' n must be positive, found 0",
    ]),
    ('zero_tile', [
        "zero_tile_with_error.hpm:31:5: error: the tile of op 'down' must be positive in both dimensions, found 0 x 256",
    ]),
    ('zipf_exponent', [
        "zipf_exponent_with_error.hpm:18:5: error: routing zipf needs an exponent S > 0, e.g. 'routing zipf 1.2', found 0",
    ]),
    # widths, layers, a shared expert, dtypes and rates, placement, HBM capacity
    ('unknown_width_field', [
        "unknown_width_field_with_error.hpm:18:5: error: op 'down' n names 'hiden', which is no workload width (did you mean 'hidden'? valid: 'expert_ffn', 'hidden')",
    ]),
    ('combine_width', [
        "combine_width_with_error.hpm:19:5: error: op 'combine' (combine) sums rows of the model width, hidden 64, but 'down' has 48 columns",
    ]),
    ('layers_end', [
        "layers_end_with_error.hpm:15:5: error: workload 'W' has layers 2, so its chain must end with a combine (each layer reads the tokens the one before returns), but it ends with 'down' (grouped_matmul)",
    ]),
    ('second_input', [
        "second_input_with_error.hpm:17:5: error: op 'act' (swiglu) takes one input; only a combine sums a second one, e.g. 'combine(down, sdown)'",
    ]),
    ('dtype_no_rate', [
        "dtype_no_rate_with_error.hpm:18:5: error: op 'down' computes in fp8, but queue 'mx' of core type 'MX', which may run it, has no fp8 rate (it has bf16, int8); add 'fp8' to its rates or a rate for every dtype",
    ]),
    ('dtype_after_ops', [
        "dtype_after_ops_with_error.hpm:20:11: error: 'dtype fp8' on a line of its own after op 'combine' is ambiguous: write it on the op's line for that op ('op combine : ... dtype fp8'), or above the ops for the workload",
    ]),
    ('unknown_placement', [
        "unknown_placement_with_error.hpm:15:5: error: unknown placement 'robin' (did you mean 'roundrobin'? valid: 'block', 'roundrobin')",
    ]),
    ('hbm_capacity', [
        "hbm_capacity_with_error.hpm:9:1: error: each device of workload 'W' needs 207,618,048 bytes (3,145,728 of weights and 204,472,320 of activations), more than the 1,048,576 bytes of memory 'DRAM' of hardware 'H'",
    ]),
]


@pytest.mark.parametrize("stem, expected", PINNED, ids=[p[0] for p in PINNED])
def test_error_message_is_pinned(stem, expected, monkeypatch):
    monkeypatch.chdir(ERRORS)
    with pytest.raises(UserError) as info:
        load(f"{stem}_with_error.hpm")
    assert [str(d) for d in info.value.diagnostics] == expected
    assert str(info.value) == "\n".join(expected)


def test_every_error_file_is_pinned():
    files = sorted(p.name[:-len("_with_error.hpm")] for p in ERRORS.glob("*_with_error.hpm"))
    assert files == sorted(p[0] for p in PINNED)


def test_file_too_large(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("big.hpm").write_text("// padding\n" * 400_000)
    with pytest.raises(UserError) as info:
        load("big.hpm")
    # the size on disk, though only the first MAX_FILE_BYTES + 1 bytes are read
    assert str(info.value) == ("big.hpm: error: file 'big.hpm' is 4400000 bytes; a spec file "
                               "may be at most 524288 bytes")


def test_missing_file_and_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as info:
        load("nope.hpm")
    assert str(info.value) == "nope.hpm: error: 'nope.hpm' does not exist"
    Path("dir.hpm").mkdir()
    with pytest.raises(UserError) as info:
        load("dir.hpm")
    assert str(info.value) == "dir.hpm: error: 'dir.hpm' is a folder, not a file"


def test_loads_refuses_nul_text():
    with pytest.raises(UserError) as info:
        loads("hardware H {\x00}", "x.hpm")
    assert str(info.value) == ("x.hpm: error: file 'x.hpm' is binary (it contains NUL bytes), "
                               "not an .hpm text file")


def test_check_workload_after_override_uses_same_messages():
    spec = load(str(Path(__file__).resolve().parents[1] / "examples" / "toy.hpm"))
    w = spec.workloads[0]
    assert check_workload(w) == []
    msgs = [d.message for d in check_workload(w.with_settings(devices=3, topk=5))]
    assert msgs == ["topk 5 is greater than experts 4; a token cannot pick more experts than exist",
                    "experts 4 is not divisible by devices 3; every device must own the same "
                    "number of experts"]
    (diag,) = check_workload(w.with_settings(devices=0))
    assert str(diag).endswith("toy.hpm:17:5: error: devices must be positive, found 0")


def test_syntax_error_reports_one_located_sentence():
    with pytest.raises(UserError) as info:
        loads("hardware H {\n  core C count 1\n  sync flags 4 latency 0 us us\n}\n", "s.hpm")
    assert str(info.value) == ("s.hpm:3:29: error: syntax error: expected ';', 'cache', 'clock', "
                               "'core', 'fabric', 'launch', 'link', 'memory', 'package', 'sync' or '}' "
                               "but found 'us'")
