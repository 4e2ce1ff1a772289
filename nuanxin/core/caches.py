"""Django's Redis cache with its client kept.

Django's backend makes a new `redis.Redis` for every cache call; its constructor fills a table
of about 170 reply callbacks, a fifth of a millisecond each time, and every API request reads
the shared cache at least once (the account's stamp, accounts/token_memory.py; the rate limits).
A client holds no connection of its own (they are its pool's) and may be shared between threads,
so one per pool is kept. Django's caches are per thread already; this changes nothing else.
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _KeptClients(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own get_client, less the new client per call (the stubs omit its private names).
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._kept.get(id(pool))  # the pools live as long as this object
        if client is None:
            client = self._kept[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _KeptClients
