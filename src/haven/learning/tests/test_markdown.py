"""Course text renders as sanitized HTML whatever an author types, and images must say what they show."""

from hypothesis import given
from hypothesis import strategies as st

from haven.learning.markdown import images_without_alt, render


def test_markdown_renders_headings_lists_and_links():
    html = render("# Recognise\n\n- bruises\n- [Childhelp](tel:18004224453)\n\n**Stay calm.**")
    assert "<h2>Recognise</h2>" in html
    assert "<li>bruises</li>" in html
    assert 'href="tel:18004224453"' in html
    assert "<strong>Stay calm.</strong>" in html


def test_raw_html_and_script_links_never_render():
    html = render("<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>")
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as the text it is


@given(st.text(alphabet=st.sampled_from(list("<>/\"'=ascriptonerolhf:() [*]!#-_\n")), max_size=200))
def test_no_typed_text_produces_a_script_or_an_event_handler(text):
    html = render(text).lower()
    assert "<script" not in html
    assert " onerror=" not in html and " onload=" not in html
    assert 'href="javascript' not in html


def test_images_without_alt_text_are_found():
    assert images_without_alt("![](https://x.example/a.png) ![A poster](https://x.example/b.png)") == [
        "https://x.example/a.png"
    ]
    assert images_without_alt("![  ](https://x.example/c.png)") == ["https://x.example/c.png"]
    assert images_without_alt("No image here.") == []
