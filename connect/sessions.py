"""Django's database sessions, read with one plain SQL statement.

Every request of a signed-in member reads its session row; building that
query through the ORM costs more CPU than running it. Writes, expiry and
deletion are Django's own (``django.contrib.sessions.backends.db``), so the
table, the cookie and ``clearsessions`` are unchanged.
"""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        quote = connection.ops.quote_name
        # Only the model's own quoted names are formatted in; the key and the
        # time are parameters.
        table, data, key, expires = (
            quote(name) for name in (model._meta.db_table, "session_data", "session_key", "expire_date")
        )
        sql = f"SELECT {data} FROM {table} WHERE {key} = %s AND {expires} > %s"  # noqa: S608
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0])
