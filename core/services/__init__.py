"""Services: the operations pages, workers and command lines call.

Each takes a SQLAlchemy ``Session`` (the caller's unit of work: ``Database.session()`` commits or
rolls back whole) and the acting ``Actor``, checks the actor's role and school first, applies the
domain rules, and writes an audit event for every state change.
"""

from core.domain.access import register_scope
from core.services._scope import schools_of

register_scope(schools_of)
