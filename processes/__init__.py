"""Journeys, their versions, BPMN import/export, process instances and the engine."""
