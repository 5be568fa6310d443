"""Address lists from settings: trusted proxies (core.audit.client_ip) and internal networks (/healthz)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(value: str) -> Address | None:
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def _networks(setting: str) -> tuple:
    return tuple(ipaddress.ip_network(n.strip(), strict=False) for n in getattr(settings, setting, ()) or () if n.strip())


def in_networks(address: Address | str | None, setting: str) -> bool:
    if isinstance(address, str):
        address = parse_ip(address)
    if address is None:
        return False
    return any(address in net for net in _networks(setting) if net.version == address.version)


def is_trusted_proxy(address: Address) -> bool:
    return in_networks(address, "ANXUN_TRUSTED_PROXIES")


@receiver(setting_changed)
def _clear(**kwargs) -> None:
    _networks.cache_clear()
