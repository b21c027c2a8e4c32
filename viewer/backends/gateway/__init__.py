"""A generic REST gateway in front of a VMS (seed 000)."""
