"""A simulated generic REST gateway (seed 000) for the demo and the tests."""
