"""The embedded default: runs with nothing but Python and Node, as the README's quick start does."""

from workflow_site.settings.base import *  # noqa: F403
from workflow_site.settings.base import env_bool

DEBUG = env_bool("DEBUG", True)
