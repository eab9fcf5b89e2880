"""Sessions when a Redis is set (CACHE_URL): Django's cached_db, which reads a session from
the cache and writes it to both, so every app server sees a sign-in at once and a session
survives Redis being emptied or restarted (it is read again from the database).

Django's cached_db raises when the cache is unreachable while it copies a session from the
database into the cache, which would turn a Redis outage into an error on every signed-in
page. Here the database alone carries the session then, as the rate limits go on without the
cache (accounts.limits). Saving already goes on without it (Django logs the failure).
Signing out still fails when the cache does, as in Django: a session that stayed in the
cache would sign in again once Redis is back, and an error can be seen and retried.
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends import cached_db

log = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception as failure:
            log.error("sessions: the cache failed, reading the database: %r", failure)
            data, cache_it = None, False
        else:
            cache_it = True
        if data is not None:
            return data
        session = self._get_session_from_db()
        if session is None:
            return {}
        data = self.decode(session.session_data)
        if cache_it:
            try:  # the expiry as stored: asking the session for it would load it again
                age = self.get_expiry_age(expiry=session.expire_date)
                self._cache.set(self.cache_key, data, age)
            except Exception as failure:
                log.error("sessions: the cache failed, no copy kept: %r", failure)
        return data
