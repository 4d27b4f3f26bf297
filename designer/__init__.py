"""The browser designer: pages, validation, publishing and the dry run."""
