"""A simulated Milestone XProtect server: its IDP and Configuration REST API on loopback."""
