"""BPMN 2.0 XML: safe parsing, and (with the engine) import into and export from its model."""
