"""A server-driven UI component framework: Python classes, htmx events, Channels pushes."""
