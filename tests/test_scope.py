"""`hpdsl.lang.scope`: the names a file sees, its imports read from disk as the loader would."""
from hpdsl.lang.outline import Role
from hpdsl.lang.scope import scope_of


def _names(scope, role):
    return [x.decl.name for x in scope.candidates(role)]


def test_imports_are_followed_from_the_files_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "hw.hpm").write_text('import "more.hpm"\nhardware A { core X count 1 }')
    (tmp_path / "sub" / "more.hpm").write_text('import "hw.hpm"\nhardware B { core Y count 1 }')
    text = 'import "sub/hw.hpm"\nimport "gone.hpm"\nworkload W on A { }'
    s = scope_of(text, str(tmp_path / "main.hpm"))   # main.hpm itself need not exist
    assert [f.path.rsplit("/", 1)[-1] for f in s.files] == ["main.hpm", "hw.hpm", "more.hpm"]
    assert _names(s, Role("hardware")) == ["A", "B"]
    assert _names(s, Role("core", workload="W")) == ["X"]
    assert s.definition(Role("core", hardware="A"), "Y").file.path.endswith("more.hpm")  # fallback


def test_inputs_are_the_ops_declared_before():
    text = "workload W on H {\n op a : dispatch\n op b : swiglu(a)\n op c : combine(b)\n}"
    s = scope_of(text, None)
    assert _names(s, Role("op", workload="W", before=text.index("op c"))) == ["a", "b"]
    assert _names(s, Role("op", workload="W")) == ["a", "b", "c"]
    assert _names(s, Role("op", workload="V")) == []


def test_a_name_declared_twice_is_offered_once():
    s = scope_of("graph g on H { task a on C takes 1 us\n task a on C takes 1 us }", None)
    assert _names(s, Role("task", graph="g")) == ["a"]
