"""SEARCH/REPLACE edit blocks."""

from __future__ import annotations

from iwr.tools.llm import apply_edits
from iwr.tools.llm.edits import parse_edits

PAGE = """<html>
<body>
  <button id="add">Add</button>
  <span class="count">0</span>
  <script>
    let n = 0;
    document.getElementById('add').onclick = () => { n += 1; };
  </script>
</body>
</html>"""


def block(search: str, replace: str) -> str:
    return f"<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n"


def test_exact_match_replaces_first_occurrence() -> None:
    edits = "Here is the fix:\n" + block("    let n = 0;", "    let n = 1;")
    r = apply_edits(PAGE, edits)
    assert (r.applied, r.failed) == (1, [])
    assert "let n = 1;" in r.html and "let n = 0;" not in r.html
    assert r.html.replace("let n = 1;", "let n = 0;") == PAGE


def test_whitespace_insensitive_match_when_exact_fails() -> None:
    search = "document.getElementById('add').onclick = () => {\n   n += 1;\n};"
    replace = "document.getElementById('add').onclick = () => { n += 1; document.querySelector('.count').textContent = n; };"
    r = apply_edits(PAGE, block(search, replace))
    assert r.applied == 1 and r.failed == []
    assert "textContent = n" in r.html


def test_unmatched_and_empty_blocks_are_reported_and_others_still_apply() -> None:
    edits = block("<p>not there</p>", "<p>x</p>") + block("", "<p>new</p>") + block('<span class="count">0</span>',
                                                                                    '<span class="count">5</span>')
    r = apply_edits(PAGE, edits)
    assert r.applied == 1 and r.failed == ["<p>not there</p>", ""]
    assert r.blocks == 3
    assert '<span class="count">5</span>' in r.html


def test_blocks_apply_in_order_on_the_edited_page() -> None:
    edits = block("Add</button>", "Plus</button>") + block("Plus</button>", "More</button>")
    r = apply_edits(PAGE, edits)
    assert r.applied == 2 and ">More</button>" in r.html


def test_truncated_last_block_is_ignored() -> None:
    edits = block("Add</button>", "Plus</button>") + "<<<<<<< SEARCH\n<span class=\"count\">0</span>\n=======\n<span"
    assert len(parse_edits(edits)) == 1
    r = apply_edits(PAGE, edits)
    assert r.applied == 1 and '<span class="count">0</span>' in r.html


def test_multiline_replace_and_deletion() -> None:
    r = apply_edits(PAGE, block('  <span class="count">0</span>\n', ""))
    assert r.applied == 1 and "count" not in r.html.split("<script>")[0]


def test_no_blocks_changes_nothing() -> None:
    r = apply_edits(PAGE, "I think the page is fine.")
    assert r.html == PAGE and r.applied == 0 and r.failed == []
