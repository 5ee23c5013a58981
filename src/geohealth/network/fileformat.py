"""What an OSM extract really is: its first bytes checked against its file name.

pyosmium goes by a file's name (``.osm.pbf``, ``.osm``, ``.osm.gz``, ``.osm.bz2``; any case)
and, when the bytes are something else, fails with a message that does not say what the
file is. :func:`check` looks at the first bytes first, so XML named ``.pbf``, PBF named
``.osm``, an empty file, a saved error page, a Git LFS pointer, JSON or an archive (gzip,
bzip2, ZIP, 7-Zip, RAR, xz, tar) fails with one line saying what the file is and how to fix
it.
"""

from __future__ import annotations

import bz2
import gzip
import re
from pathlib import Path

from geohealth.errors import NetworkError

#: File-name endings pyosmium reads (lower case) → its format name.
_FORMATS = ((".pbf", "pbf"), (".osm.gz", "osm.gz"), (".osm.bz2", "osm.bz2"), (".osm", "osm"))
_CLAIMS = {
    "pbf": "PBF",
    "osm": "OSM XML",
    "osm.gz": "gzip-compressed XML",
    "osm.bz2": "bzip2-compressed XML",
}
_ARCHIVES = {
    b"PK\x03\x04": "a ZIP archive",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"Rar!\x1a\x07": "a RAR archive",
    b"\xfd7zXZ\x00": "an xz-compressed file",
}
#: (what the bytes are, what the unpacked bytes are, format the name claims) that are read.
_READABLE = {
    ("pbf", "", "pbf"),
    ("osm", "", "osm"),
    ("gzip", "osm", "osm.gz"),
    ("bz2", "osm", "osm.bz2"),
}
_SNIFF_BYTES = 4096
#: Endings stripped from a file name before suggesting a new one.
_ENDINGS = (
    *(".osm.pbf", ".osm.gz", ".osm.bz2", ".pbf", ".osm", ".gz", ".bz2"),
    *(".xml", ".html", ".htm", ".json", ".zip", ".7z", ".rar"),
)


def _stem(name: str) -> str:
    """Strip the ending of an extract, archive or web page from a file name."""
    lower = name.lower()
    for end in _ENDINGS:
        if lower.endswith(end) and len(name) > len(end):
            return name[: -len(end)]
    return name


def _kind(head: bytes) -> tuple[str, str]:
    """Tell what a file holds from its first bytes: (kind, words for a message)."""
    if not head:
        return "empty", "empty"
    if head.startswith(b"\x1f\x8b"):
        return "gzip", "gzip-compressed"
    if head.startswith(b"BZh"):
        return "bz2", "bzip2-compressed"
    for magic, words in _ARCHIVES.items():
        if head.startswith(magic):
            return "archive", words
    if len(head) > 262 and head[257:262] == b"ustar":
        return "archive", "a tar archive"
    if b"OSMHeader" in head[4:16]:
        return "pbf", "a PBF extract"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"version https://git-lfs"):
        return "lfs", "a Git LFS pointer"
    if text.startswith(b"<"):
        if re.match(rb"<!doctype\s+html", text, re.IGNORECASE):
            root = "html"
        else:
            bare = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", b"", text, flags=re.DOTALL)
            found = re.search(rb"<([A-Za-z_][\w.:-]*)", bare)
            root = found.group(1).decode("ascii", "replace") if found else "?"
        if root.lower() in ("html", "head", "body"):
            title = re.search(rb"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
            words = title.group(1).decode("utf-8", "replace") if title else ""
            words = " ".join(words.split())[:60]
            return "html", f"an HTML page titled '{words}'" if words else "an HTML page"
        if root == "osm":
            return "osm", "OSM XML"
        return "xml", f"XML with root <{root}>"
    if text[:1] in (b"{", b"["):
        return "json", "JSON text"
    decoded = head.decode("utf-8", "replace")
    if b"\x00" not in head and decoded.count("\ufffd") <= 3:
        first = " ".join(decoded.split())[:40]
        return "text", f"text starting '{first}'"
    return "unknown", "unrecognised bytes"


def check(path: Path) -> tuple[str | None, bool]:
    """Find the pyosmium format to read ``path`` with: its name's, checked against its bytes.

    Parameters
    ----------
    path
        The extract (it must exist).

    Returns
    -------
    fmt : str or None
        The pyosmium format name (``"pbf"``, ``"osm"``, ``"osm.gz"`` or ``"osm.bz2"``) the
        file's name claims; None when the name claims none (let pyosmium go by the name).
    recognised : bool
        Whether the bytes were recognised as that format. False when they are unrecognised
        (pyosmium then says what is wrong, or reads a format not sniffed here).

    Raises
    ------
    NetworkError
        If the bytes are not what the name says; the one-line message names what the file
        really is (XML, PBF, an empty file, an HTML page, a Git LFS pointer, JSON, an
        archive, a compressed file) and the fix.
    """
    name = path.name
    claimed = next((fmt for end, fmt in _FORMATS if name.lower().endswith(end)), None)
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    kind, words = _kind(head)
    inner, inner_words = "", ""
    if kind in ("gzip", "bz2"):
        opener = gzip.open if kind == "gzip" else bz2.open
        try:
            with opener(path, "rb") as unpacked:
                inner, inner_words = _kind(unpacked.read(_SNIFF_BYTES))
        except (OSError, EOFError, ValueError):
            inner = "broken"
    if (kind, inner, claimed) in _READABLE:
        return claimed, True
    packed = {"gzip": "osm.gz", "bz2": "osm.bz2"}.get(kind)
    if kind == "unknown" or (inner == "unknown" and claimed == packed):
        return claimed, False  # pyosmium says what is wrong, or reads a format we don't sniff
    not_claimed = f"not {_CLAIMS[claimed]}" if claimed else "but its name does not say so"
    stem = _stem(name)
    if kind == "empty":
        fix = "the download or copy did not finish; download the extract again"
        msg = f"{name}: the file is empty (0 bytes) — {fix}"
    elif kind == "lfs":
        msg = f"{name}: it is {words}, not the extract — fetch the file with 'git lfs pull'"
    elif kind == "html":
        fix = "the download failed; download the extract again"
        msg = f"{name}: it is {words}, not an OSM extract — {fix}"
    elif kind == "pbf":
        msg = f"{name}: it is a PBF extract, {not_claimed} — rename it to {stem}.osm.pbf"
    elif kind == "osm":
        msg = f"{name}: it is OSM XML, {not_claimed} — rename it to {stem}.osm"
    elif kind in ("gzip", "bz2") and inner == "osm":
        ending = ".osm.gz" if kind == "gzip" else ".osm.bz2"
        msg = f"{name}: it is {words} OSM XML — rename it to {stem}{ending}"
    elif kind in ("gzip", "bz2") and inner == "pbf":
        tool = "gunzip" if kind == "gzip" else "bunzip2"
        fix = f"unpack it ({tool} or 7-Zip) and give the .osm.pbf inside"
        msg = f"{name}: it is a {words} PBF extract — {fix}"
    elif inner == "broken":
        msg = f"{name}: it is a damaged {kind} file — download the extract again"
    elif kind in ("gzip", "bz2"):
        fix = "download the extract again"
        msg = f"{name}: it is {words} (inside: {inner_words}), not an OSM extract — {fix}"
    elif kind == "archive":
        msg = f"{name}: it is {words}, not an OSM extract — unpack it and give the .osm.pbf inside"
    elif kind == "json":
        fix = "download the extract as .osm.pbf (from Overpass: [out:xml], saved as .osm)"
        msg = f"{name}: it is {words}, not an OSM extract — {fix}"
    else:  # other XML, text
        fix = "download an OSM extract (.osm.pbf) of the area again"
        msg = f"{name}: it is {words}, not OpenStreetMap data — {fix}"
    raise NetworkError(msg)
