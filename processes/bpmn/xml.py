"""Safe parsing of BPMN 2.0 XML documents and the namespaces they use."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
ITINERA_NS = "urn:itinera:bpmn:1"

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

# No entity expansion, no DTD or network access: a BPMN upload is untrusted input.
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=False,
)


# The encoding named in an XML declaration, e.g. ``<?xml version="1.0" encoding="ISO-8859-1"?>``.
_DECLARED_ENCODING = re.compile(r"""^(\ufeff?\s*<\?xml\b[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""")


class BpmnSyntaxError(ValueError):
    """The text is not a BPMN 2.0 document; ``line`` is 1-based where the parser knows it."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class ProcessSummary:
    id: str
    name: str
    is_executable: bool


def parse_definitions(text: str | bytes) -> etree._Element:
    """Parse a BPMN document and return its ``definitions`` element."""
    data = _document_bytes(text)
    if not data.strip():
        raise BpmnSyntaxError("The BPMN document is empty.")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise BpmnSyntaxError(f"The BPMN document is larger than {MAX_DOCUMENT_BYTES} bytes.")
    if b"<!DOCTYPE" in data[:4096].upper():
        raise BpmnSyntaxError("BPMN documents may not declare a DOCTYPE.")
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else None
        raise BpmnSyntaxError(f"The BPMN document is not well-formed XML: {exc.msg}", line) from exc
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise BpmnSyntaxError(
            f"The root element must be bpmn:definitions in namespace {BPMN_NS}, not {root.tag!r}."
        )
    return root


def _document_bytes(text: str | bytes) -> bytes:
    if isinstance(text, bytes):
        return text
    # Text that was already decoded is encoded again as UTF-8, so its declaration must say so:
    # a file read as text from an ISO-8859-1 original would otherwise be decoded twice.
    return _DECLARED_ENCODING.sub(r"\g<1>\g<2>UTF-8\g<2>", text, count=1).encode("utf-8")


_ENCODING_NAME = re.compile(
    rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']"""
)
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def document_text(data: bytes) -> str:
    """The text of a BPMN file's bytes, decoded as its byte-order mark or XML declaration says
    (UTF-8 when neither does)."""
    encoding = next((name for mark, name in _BYTE_ORDER_MARKS if data.startswith(mark)), None)
    if encoding is None:
        declared = _ENCODING_NAME.match(data[:512])
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError) as error:
        raise BpmnSyntaxError(f"The BPMN document is not {encoding} text: {error}") from None


def process_summaries(definitions: etree._Element) -> list[ProcessSummary]:
    """The processes a definitions element declares, in document order."""
    return [
        ProcessSummary(
            id=element.get("id", ""),
            name=element.get("name", "") or element.get("id", ""),
            is_executable=element.get("isExecutable", "false").lower() == "true",
        )
        for element in definitions.iterchildren(f"{{{BPMN_NS}}}process")
    ]
