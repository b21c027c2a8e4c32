"""A simulated MiBee NVR on loopback, shaped as the server's own code answers."""
