"""`hpdsl.lsp.semantic`: server-side highlighting, decoded back into (text, type) pairs."""
from hpdsl.lsp.document import Document
from hpdsl.lsp.semantic import LEGEND, MODIFIERS, TYPES, semantic_tokens


def _decode(text: str):
    doc = Document("untitled:1", None, text)
    data = semantic_tokens(doc).data
    lines = text.split("\n")
    line = char = 0
    out = []
    for i in range(0, len(data), 5):
        dl, dc, length, kind, mods = data[i:i + 5]
        line, char = line + dl, (char + dc if dl == 0 else dc)
        names = [m for b, m in enumerate(MODIFIERS) if mods >> b & 1]
        out.append((lines[line][char:char + length], TYPES[kind], names))
    return out


def test_tokens_are_typed_by_what_they_name():
    text = ('hardware H { core C count 2 }\n/* a\nb */ graph g on H {\n'
            '  task t on C takes 1.5 us // c\n}')
    assert _decode(text) == [
        ("hardware", "keyword", []), ("H", "class", ["declaration"]), ("core", "keyword", []),
        ("C", "type", ["declaration"]), ("count", "keyword", []), ("2", "number", []),
        ("/* a", "comment", []), ("b */", "comment", []), ("graph", "keyword", []),
        ("g", "namespace", ["declaration"]), ("on", "keyword", []), ("H", "class", []),
        ("task", "keyword", []), ("t", "event", ["declaration"]), ("on", "keyword", []),
        ("C", "type", []), ("takes", "keyword", []), ("1.5", "number", []),
        ("us", "operator", ["defaultLibrary"]), ("// c", "comment", [])]


def test_every_role_and_token_kind_has_a_type_in_the_legend():
    from hpdsl.lang.outline import MEMBER_KINDS, TOP_KINDS
    from hpdsl.lsp.semantic import _BY_KIND, _BY_ROLE

    roles = set(TOP_KINDS) | set(MEMBER_KINDS.values()) | {"op_kind", "routing", "dtype",
                                                           "capability", "unit"}
    assert roles <= set(_BY_ROLE)
    assert set(_BY_ROLE.values()) | set(_BY_KIND.values()) <= set(LEGEND.token_types)
