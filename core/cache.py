"""Django's Redis cache, without building a new Redis client object on every call.

``django.core.cache.backends.redis.RedisCacheClient.get_client`` makes a ``redis.Redis`` around the
connection pool on each cache operation; with redis-py 8 that constructor rebuilds its table of
response callbacks, which cost more CPU than the network round trip itself (a signed-in request
reads the session and the user: two of them). A client object is thread-safe and holds no
connection of its own, so one per pool is kept and reused.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as _RedisCache
from django.core.cache.backends.redis import RedisCacheClient as _RedisCacheClient


class RedisCacheClient(_RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(_RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
