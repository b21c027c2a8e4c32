"""The operator's VMS sites: kept in the settings, their passwords in the keyring, and
one factory that turns a site's kind into the backend that talks to it.

A site is added by its address, user and password. A gateway whose certificate no
authority vouches for (as real XProtect gateways usually have) is added only once the
operator trusts its fingerprint, which is then pinned; the password goes to the
keyring under the site's id, never to the settings. At start-up every saved site is
connected again, all at once, each retrying on its own if its server is down.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from viewer.backends.base import Backend
from viewer.backends.gateway.backend import GatewayBackend
from viewer.backends.mibee.backend import MibeeBackend
from viewer.backends.milestone import windows
from viewer.backends.milestone.backend import MilestoneBackend
from viewer.core.errors import InvalidInputError, NotFoundError, NotSupportedError
from viewer.core.models import Site
from viewer.services.directory import Directory, SiteSession
from viewer.services.pinning import certificate_to_pin
from viewer.services.secrets import SecretStore
from viewer.services.settings import LOGIN_KINDS, Settings, SettingsStore, SiteConfig

BackendFactory = Callable[[SiteConfig, str | None], Backend]

WINDOWS_UNSUPPORTED = windows.UNSUPPORTED


def windows_login_available() -> bool:
    """Whether Windows users can log in here (an NTLM add-on for httpx is installed)."""
    return windows.available()


def _milestone(config: SiteConfig, password: str | None) -> Backend:
    site = Site(id=config.id, name=config.name, kind=config.kind)
    return MilestoneBackend(
        site,
        config.url,
        config.user or "",
        password or "",
        certificate=config.certificate,
        windows_user=config.login == "windows",
    )


def _mibee(config: SiteConfig, password: str | None) -> Backend:
    site = Site(id=config.id, name=config.name, kind=config.kind)
    return MibeeBackend(
        site, config.url, config.user or "", password or "", certificate=config.certificate
    )


def _gateway(config: SiteConfig, password: str | None) -> Backend:
    site = Site(id=config.id, name=config.name, kind=config.kind)
    return GatewayBackend(
        site, config.url, config.user or "", password or "", certificate=config.certificate
    )


FACTORIES: Mapping[str, BackendFactory] = {
    "milestone": _milestone,
    "mibee": _mibee,
    "gateway": _gateway,
}
"""One entry for each of the settings' SITE_KINDS."""


def backend_for(config: SiteConfig, password: str | None) -> Backend:
    factory = FACTORIES.get(config.kind)
    if factory is None:
        raise NotSupportedError(f"Vigil cannot connect to sites of kind {config.kind!r}")
    return factory(config, password)


def secret_key(site_id: str) -> str:
    return f"sites/{site_id}"


class Sites:
    def __init__(
        self,
        settings: Settings,
        store: SettingsStore,
        secrets: SecretStore,
        directory: Directory,
    ) -> None:
        self._settings = settings
        self._store = store
        self._secrets = secrets
        self._directory = directory

    async def start(self) -> None:
        """Connect every saved site; returns once each has made its first attempt."""
        sites = self._settings.sites
        await self._secrets.load([secret_key(site.id) for site in sites])
        await asyncio.gather(*(self._connect(site) for site in sites))

    async def add(
        self,
        kind: str,
        name: str,
        url: str,
        user: str,
        password: str,
        *,
        trusted_fingerprint: str | None = None,
        login: str = "basic",
    ) -> SiteConfig:
        """Validate, save and connect a site.

        Raises InvalidInputError naming the form field ("url", "kind", "login") when the
        address, kind or login kind is unusable, and UnknownCertificateError (with the
        fingerprint to show) until the operator trusts a certificate no authority
        vouches for.
        """
        if kind not in FACTORIES:
            raise InvalidInputError("Vigil cannot connect to this kind of site.", "kind")
        if login not in LOGIN_KINDS:
            raise InvalidInputError(f"Unknown login kind {login!r}.", "login")
        if login == "windows" and not windows_login_available():
            raise InvalidInputError(f"{WINDOWS_UNSUPPORTED}.", "login")
        address = url.strip().rstrip("/")
        parts = urlsplit(address)
        if parts.scheme.lower() not in {"https", "http"} or not parts.hostname:
            raise InvalidInputError("The address must start with https:// or http://.", "url")
        if parts.password is not None:
            raise InvalidInputError("Type the password in its own field, not here.", "url")
        certificate = await certificate_to_pin([(address, "url")], trusted_fingerprint)
        config = SiteConfig(
            id=uuid.uuid4().hex[:12],
            kind=kind,
            name=name.strip() or parts.hostname,
            url=address,
            user=user.strip() or None,
            certificate=certificate,
            login=login,
        )
        if password:
            await self._secrets.set(secret_key(config.id), password)
        self._settings.sites.append(config)
        await asyncio.wrap_future(self._store.save_soon(self._settings))
        await self._connect(config)
        return config

    async def add_unsaved(
        self,
        site_id: str,
        kind: str,
        name: str,
        url: str,
        *,
        user: str,
        password: str,
        fingerprint: str,
    ) -> SiteConfig:
        """Connect a site for this session only, as the demo's: pinned to the certificate
        with ``fingerprint`` (the caller vouches for it, so nobody is asked), the password
        held by its backend alone, nothing written to the settings or the keyring.

        Raises UnknownCertificateError when the server presents another certificate.
        """
        certificate = await certificate_to_pin([(url, "url")], fingerprint)
        config = SiteConfig(site_id, kind, name, url, user or None, certificate)
        await self._directory.add(SiteSession(backend_for(config, password)))
        return config

    def saved(self, site_id: str) -> SiteConfig | None:
        """The site as the settings keep it; None for one of this session only."""
        return next((site for site in self._settings.sites if site.id == site_id), None)

    async def set_password(self, site_id: str, password: str) -> bool:
        """Keep a new password for a saved site and connect it again with it; False when
        the keyring could not keep it (held for this session only, see SecretStore.set).

        Returns once the site's first attempt with it has ended, as ``add`` does.
        """
        config = self.saved(site_id)
        if config is None:
            raise NotFoundError(f"no saved site {site_id!r}")
        saved = await self._secrets.set(secret_key(site_id), password)
        old = self._directory.session(site_id)
        if old is not None:
            await old.close()
        await self._connect(config)
        return saved

    def password_session_only(self, site_id: str) -> bool:
        """Whether the site's password will be lost at quit: no keyring, or it refused."""
        return self._secrets.session_only(secret_key(site_id))

    async def remove(self, site_id: str) -> None:
        self._settings.sites = [s for s in self._settings.sites if s.id != site_id]
        await self._secrets.delete(secret_key(site_id))
        await asyncio.wrap_future(self._store.save_soon(self._settings))
        await self._directory.remove(site_id)

    async def _connect(self, config: SiteConfig) -> None:
        password = self._secrets.cached(secret_key(config.id))
        await self._directory.add(SiteSession(backend_for(config, password)))
