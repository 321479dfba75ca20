"""Every write in discussions happens here, one module per area.

Each service checks permissions (``forum.permissions``), validates, writes inside a
transaction and, in that transaction, owes its side effects: notifications and the
search index through :mod:`forum.events` and durable tasks, so nothing is sent for a
write that is rolled back and nothing is lost for one that commits. Views, consumers,
tasks and commands all call these functions; this package re-exports them so callers
write ``services.post_create``.
"""

from ..mentions import quote_markdown, quoted_post_ids, safe_mentions, users_for_handles  # noqa: F401
from ._validation import (  # noqa: F401
    DEFAULT_POST_RATE_LIMITS,
    DEFAULT_THREAD_RATE_LIMITS,
    MAX_TAGS,
    MAX_TITLE_CHARS,
    _check_posting_rate,
    _check_thread_rate,
    _clean_tags,
    _existing_submission,
    _guard,
    _lock_member,
    _mention_url,
    _refuse_unreadable_characters,
    _validate_body,
    _validate_title,
    _watch,
    privacy_findings,
    refresh_thread,
    render_body,
)
from .errors import (  # noqa: F401
    ForumError,
    NotAllowed,
    PrivacyCheckRequired,
)
from .handles import (  # noqa: F401
    _handle_base,
    _has_cached_handle,
    handle_for,
)
from .moderation import (  # noqa: F401
    REDACTED,
    _check_audience,
    _moderation_notice,
    _require_moderator,
    _resolve_flags,
    _thread_action,
    flag_create,
    member_suspend,
    post_approve,
    post_hide,
    post_redact,
    suggestion_status_set,
    suspension_lift,
    thread_merge,
    thread_move,
    thread_set_locked,
    thread_set_pinned,
    thread_set_welcome,
    thread_tags_set,
)
from .posts import (  # noqa: F401
    post_create,
    post_delete,
    post_edit,
    post_preview,
    post_restore,
)
from .reactions import (  # noqa: F401
    answer_accept,
    bookmark_toggle,
    category_watch_toggle,
    reaction_toggle,
    thread_mark_read,
    thread_subscription_set,
    vote_toggle,
)
from .threads import (  # noqa: F401
    thread_create,
)
