"""The engine behind published versions: compiled once per version and kept in process memory.

Published versions never change, so an engine built from one can be reused for every instance of
it; nothing about an instance is kept here (its state lives in the database).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

from processes.bpmn.importer import import_definitions
from processes.engine.core import Engine
from processes.models import JourneyVersion
from rules.runtime import rules_for_version

_CACHE_SIZE = 256
_engines: OrderedDict[tuple[int, int, datetime], Engine] = OrderedDict()
_lock = threading.Lock()


def engine_for(version: JourneyVersion) -> Engine:
    """The engine of ``version`` (service tasks with a topic run as jobs; the rules it names are
    the versions it pinned when published, or the latest for rules marked "always latest")."""
    # The creation moment guards against a reused primary key (a restored or recreated
    # database); the text itself is read only when the engine is not cached yet, so callers may
    # defer it.
    key = (version.pk, version.lock_version, version.created_at)
    with _lock:
        engine = _engines.get(key)
        if engine is not None:
            _engines.move_to_end(key)
            return engine
    engine = Engine(
        import_definitions(version.bpmn_xml), jobs=True, rules=rules_for_version(version)
    )
    with _lock:
        _engines[key] = engine
        while len(_engines) > _CACHE_SIZE:
            _engines.popitem(last=False)
    return engine
