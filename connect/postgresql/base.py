"""Django's PostgreSQL backend, checking a pooled connection before lending it
without a round trip to the server when nothing says it was dropped.

With ``OPTIONS["pool"]`` and ``CONN_HEALTH_CHECKS``, Django's backend has the
pool send an empty query over every connection it lends, so every request
waits one round trip (and its server and client CPU) before its own first
query. A connection the server dropped (a restart, a failover,
``pg_terminate_backend``, an idle timeout) has been sent the server's goodbye
or an end of stream: its socket has something to read, although nothing was
asked on it. So the pool first looks, without waiting, whether the idle
connection's socket is readable; only then, or when the connection is known
closed or broken, or has been idle long enough for a firewall to have
forgotten it silently, does it make psycopg_pool's full check (which raises,
and the pool replaces the connection).
"""

import select
import time
import weakref

from django.db.backends.postgresql import base

# An idle connection older than this is checked with a round trip whatever
# its socket says: a connection dropped by something between the machines
# (a firewall's idle timeout) sends no goodbye.
FULL_CHECK_AFTER_IDLE = 30.0

# When each pooled connection was last given back. (Not a pool ``reset``
# function: with one, psycopg_pool hands every returned connection to a
# worker thread, which costs more than the round trip saved.)
_returned_at = weakref.WeakKeyDictionary()


def _has_input(conn):
    """Whether the server sent something on an idle connection (or closed it)."""
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def check_connection(conn):
    """psycopg_pool's ``check``: raise if ``conn`` cannot be lent."""
    from psycopg_pool import ConnectionPool

    returned = _returned_at.get(conn)
    if (
        conn.closed
        or conn.broken
        or returned is None
        or time.monotonic() - returned > FULL_CHECK_AFTER_IDLE
        or _has_input(conn)
    ):
        ConnectionPool.check_connection(conn)


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool_options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == base.NO_DB_ALIAS or not pool_options:
            return None
        if self.alias not in self._connection_pools:
            if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
                raise base.ImproperlyConfigured("Pooling doesn't support persistent connections.")
            from psycopg_pool import ConnectionPool

            pool_options = {} if pool_options is True else pool_options
            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True  # as Django's backend: it sets autocommit later
            checks = self.settings_dict["CONN_HEALTH_CHECKS"]
            pool = ConnectionPool(
                kwargs=connect_kwargs,
                open=False,
                configure=self._configure_connection,
                check=check_connection if checks else None,
                **pool_options,
            )
            self._connection_pools.setdefault(self.alias, pool)
        return self._connection_pools[self.alias]

    def _close(self):
        if self.connection is not None and self.pool:
            _returned_at[self.connection] = time.monotonic()
        return super()._close()
