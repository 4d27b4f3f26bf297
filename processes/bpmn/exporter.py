"""BPMN 2.0 export: writes an imported document back as UTF-8 XML, with every element, attribute,
namespace declaration, extension and diagram interchange detail it was read with."""

from __future__ import annotations

import os
from pathlib import Path

from lxml import etree

from processes.bpmn.importer import BpmnFile, load
from processes.bpmn.xml import BPMN_NS
from processes.engine.model import Finding


def export(source: BpmnFile | etree._Element) -> bytes:
    """Serialize an imported file (or its ``definitions`` element) as UTF-8 BPMN XML.

    The whole document is written, so comments and processing instructions around the root
    element survive as well; ``standalone="yes"`` is kept where the original declared it.
    """
    root = source.tree if isinstance(source, BpmnFile) else source
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise ValueError(f"Only a bpmn:definitions element can be exported, not {root.tag!r}.")
    document = root.getroottree()
    if document.getroot() is not root:
        raise ValueError("The definitions element to export must be the root of its document.")
    return etree.tostring(
        document,
        xml_declaration=True,
        encoding="UTF-8",
        # lxml reports an absent flag as False; "no" is what absence means, so it is left out.
        standalone=True if document.docinfo.standalone else None,
    )


def convert(in_path: str | os.PathLike[str], out_path: str | os.PathLike[str]) -> list[Finding]:
    """Import the BPMN file at ``in_path`` and export it to ``out_path``; return the findings."""
    bpmn_file = load(Path(in_path).read_bytes())
    Path(out_path).write_bytes(export(bpmn_file))
    return list(bpmn_file.definitions.findings)
