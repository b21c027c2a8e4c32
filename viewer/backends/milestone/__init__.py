"""Milestone XProtect: OAuth2 login through the IDP and the Configuration REST API."""
