"""Page icons show on a machine without an emoji font, and none is fetched from the network."""

import re
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).parents[2]
ICON = re.compile(r"""\bicon=("[^"]*"|'[^']*')""")


def sources() -> list[Path]:
    return [
        ROOT / "streamlit_app.py",
        *sorted((ROOT / "pages").glob("*.py")),
        *sorted((ROOT / "rehearse").rglob("*.py")),
    ]


def test_every_page_and_link_icon_is_a_bundled_material_symbol():
    found = [(path.name, m.group(1)[1:-1]) for path in sources() for m in ICON.finditer(path.read_text())]
    assert len(found) >= 12  # ten pages and the links between them
    for name, icon in found:
        # Material Symbols are drawn with the font inside Streamlit's static files; emoji need an emoji font.
        assert re.fullmatch(r":material/[a-z_]+:", icon), (name, icon)


def test_the_tab_icon_is_a_file_the_app_serves():
    app = (ROOT / "streamlit_app.py").read_text()
    # A :material/: favicon is fetched from fonts.gstatic.com; an emoji one needs an emoji font.
    assert 'page_icon=str(Path(rehearse.web.__file__).parent / "icon.png")' in app
    with Image.open(ROOT / "rehearse" / "web" / "icon.png") as icon:
        assert icon.size == (128, 128)
