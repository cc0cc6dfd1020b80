"""The home dashboard: what happened in the user's regions in a period (a feature app, on top
of the domain apps: it may import any of them, none of them imports it)."""
