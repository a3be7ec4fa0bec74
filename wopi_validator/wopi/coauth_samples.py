"""Deterministic Office-like documents for the chunked-transfer tests.

Microsoft's validator uploads real xlsx/docx files (V1, then V2 sharing most entries); these stand in for them:
zips written with :mod:`zipfile` at a fixed date, in a fixed entry order and stored (deflate output may differ
between zlib builds), so the same call gives the same bytes, and so the same chunk ids, on every run and machine.
Version 2 of a document changes a few entries of version 1 and keeps the rest byte for byte *and at the same
offsets* (changed entries keep their size), so a delta upload of V2 over V1 sends only the chunks of the changed
entries. Main and Alt of one application share their package-level entries, as the validator's Excel Main and
Alt share chunks.
"""

from __future__ import annotations

import io
import zipfile

_DATE = (2020, 1, 1, 0, 0, 0)
_VERSIONS = (1, 2)

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="{part}"/></Relationships>'
)
_APP = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties><Application>{app}</Application>' \
       '<DocSecurity>0</DocSecurity><Company>wopi-validator</Company></Properties>'
_CORE = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties>' \
        '<dc:creator>wopi-validator</dc:creator><cp:revision>{version}</cp:revision></cp:coreProperties>'
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def _check(version: int) -> None:
    if version not in _VERSIONS:
        raise ValueError(f"sample version must be 1 or 2, got {version!r}")


def _zip(entries: list[tuple[str, str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries:
            info = zipfile.ZipInfo(name, date_time=_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 0
            info.external_attr = 0
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


def _filler(tag: str, count: int) -> str:
    """Rows of distinct, poorly compressible-enough text so entries are not all a few bytes long."""
    return "".join(f"<r n=\"{i}\">{tag}-{(i * 2654435761) % 1000003:07d}</r>" for i in range(count))


def _package(app: str, part: str, content_type: str, version: int) -> list[tuple[str, str]]:
    return [
        ("[Content_Types].xml", _CONTENT_TYPES.format(part=part, content_type=content_type)),
        ("_rels/.rels", _ROOT_RELS.format(part=part)),
        ("docProps/app.xml", _APP.format(app=app)),
        ("docProps/core.xml", _CORE.format(version=version)),
    ]


def excel_main(version: int) -> bytes:
    """A workbook: package entries, a workbook, three sheets, styles; V2 changes core.xml and sheet2."""
    _check(version)
    return _zip(_package("Microsoft Excel", "xl/workbook.xml", _XLSX, version) + [
        ("xl/workbook.xml", "<workbook><sheets><sheet name=\"A\"/><sheet name=\"B\"/><sheet name=\"C\"/></sheets>"
                            "</workbook>"),
        ("xl/styles.xml", "<styleSheet>" + _filler("style", 40) + "</styleSheet>"),
        ("xl/worksheets/sheet1.xml", "<worksheet>" + _filler("main-s1", 120) + "</worksheet>"),
        ("xl/worksheets/sheet2.xml", f"<worksheet>{_filler(f'main-s2-v{version}', 120)}</worksheet>"),
        ("xl/worksheets/sheet3.xml", "<worksheet>" + _filler("main-s3", 60) + "</worksheet>"),
    ])


def excel_alt(version: int) -> bytes:
    """The workbook's alternate stream: the same package entries as :func:`excel_main`, other parts."""
    _check(version)
    return _zip(_package("Microsoft Excel", "xl/workbook.xml", _XLSX, version) + [
        ("xl/workbook.xml", "<workbook><sheets><sheet name=\"A\"/><sheet name=\"B\"/><sheet name=\"C\"/></sheets>"
                            "</workbook>"),
        ("xl/styles.xml", "<styleSheet>" + _filler("style", 40) + "</styleSheet>"),
        ("xl/calcChain.xml", f"<calcChain>{_filler(f'alt-calc-v{version}', 50)}</calcChain>"),
    ])


def word_main(version: int) -> bytes:
    """A document: package entries, body, styles, settings; V2 changes core.xml and the body."""
    _check(version)
    return _zip(_package("Microsoft Office Word", "word/document.xml", _DOCX, version) + [
        ("word/document.xml", f"<w:document><w:body>{_filler(f'para-v{version}', 150)}</w:body></w:document>"),
        ("word/styles.xml", "<w:styles>" + _filler("wstyle", 60) + "</w:styles>"),
        ("word/settings.xml", "<w:settings>" + _filler("setting", 10) + "</w:settings>"),
        ("word/fontTable.xml", "<w:fonts>" + _filler("font", 8) + "</w:fonts>"),
    ])


def word_alt(version: int) -> bytes:
    """The document's alternate stream: the package entries of :func:`word_main` and a changing comments part."""
    _check(version)
    return _zip(_package("Microsoft Office Word", "word/document.xml", _DOCX, version) + [
        ("word/styles.xml", "<w:styles>" + _filler("wstyle", 60) + "</w:styles>"),
        ("word/comments.xml", f"<w:comments>{_filler(f'comment-v{version}', 30)}</w:comments>"),
    ])


TEXTS = {
    "v1": b"SampleTextVersion-1",
    "v2": b"SampleTextVersion-2",
    "alt-v1": b"AlternateTextVersion-1",
    "alt-v2": b"AlternateTextVersion-2",
    "long": b"".join(b"line %04d of a text stream chunked as one FullFile chunk\n" % i for i in range(100)),
}


def text(name: str) -> bytes:
    """A text stream for the FullFile cases: ``v1``, ``v2``, ``alt-v1``, ``alt-v2`` or ``long``."""
    try:
        return TEXTS[name]
    except KeyError:
        raise ValueError(f"no text sample {name!r} (known: {', '.join(TEXTS)})") from None
