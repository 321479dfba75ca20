"""The discussion board: categories, threads, posts and what members do with them.

Counters on Thread (reply count, last activity, last post) are denormalised so
that lists never count rows; they are kept right by ``forum.services``.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase
from wagtail.search import index
from wagtail.search.queryset import SearchableQuerySetMixin


class SearchableQuerySet(SearchableQuerySetMixin, models.QuerySet):
    pass


class Category(models.Model):
    """A place for threads on one subject.

    A category with no allowed disciplines and no allowed roles is open to
    every member. Otherwise only members holding one of the disciplines or one
    of the roles may see it — moderators and administrators included, on the
    board and on the moderation screens: to everyone else it and everything in
    it does not exist (the moderation queue only says that an item waits
    there). Only administrators change the audience, and each change is audited.
    """

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=100)
    allowed_disciplines = models.JSONField(
        default=list,
        blank=True,
        help_text='Discipline codes, e.g. ["law_enforcement"]. Empty with no roles: open to all members.',
    )
    allowed_roles = models.JSONField(
        default=list, blank=True, help_text='Role group names, e.g. ["Moderators"].'
    )
    is_suggestions = models.BooleanField(
        default=False, help_text="Members vote on threads here; moderators set a status."
    )
    is_archived = models.BooleanField(default=False, help_text="Read-only: no new threads or replies.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("forum:category", kwargs={"slug": self.slug})

    @property
    def is_restricted(self):
        return bool(self.allowed_disciplines or self.allowed_roles)

    @property
    def audience_label(self):
        from connect.models import Discipline

        labels = [dict(Discipline.choices).get(d, d) for d in self.allowed_disciplines]
        labels += list(self.allowed_roles)
        return ", ".join(labels)

    @property
    def audience_description(self):
        """Who can read the category, in one sentence that says what
        ``permissions.category_allows`` does: a restricted category follows its
        audience for everyone, moderators and administrators included."""
        from connect.models import Discipline

        if not self.is_restricted:
            return "Every member can read this category."
        who = []
        if self.allowed_disciplines:
            names = [dict(Discipline.choices).get(d, d).lower() for d in self.allowed_disciplines]
            who.append("members who work in " + _either(names))
        if self.allowed_roles:
            who.append(_either([role.lower() for role in self.allowed_roles]))
        return (
            f"Only {', or '.join(who)} can read this category. "
            "Moderators and administrators outside that audience cannot see it either."
        )


def _either(words):
    """``a``, ``a or b``, ``a, b or c``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


class TaggedThread(TaggedItemBase):
    content_object = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="tagged_items")


class SuggestionStatus(models.TextChoices):
    OPEN = "", "Open"
    PLANNED = "planned", "Planned"
    DONE = "done", "Done"
    DECLINED = "declined", "Declined"


def _NAME_FIELDS(relation):  # noqa: N802 - reads as the constant it spells out
    """The columns ``User.display_name`` reads through ``relation``, for
    ``.only()`` (the search page's hits load nothing else)."""
    return (
        relation,
        f"{relation}__first_name",
        f"{relation}__last_name",
        f"{relation}__email",
        f"{relation}__profile",
        f"{relation}__profile__display_name",
    )


class Thread(index.Indexed, models.Model):
    """A conversation: a title, a first post and the replies to it."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="threads")
    title = models.CharField(max_length=200)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    first_post = models.ForeignKey(
        "forum.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_post = models.ForeignKey(
        "forum.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply_count = models.PositiveIntegerField(default=0)
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False)
    # Hidden when its first post is deleted or held for review; moderators still see it.
    is_hidden = models.BooleanField(default=False)
    is_question = models.BooleanField(default=False)
    # The thread newcomers are asked to introduce themselves in (the home
    # page's welcome links to it and ticks once the member posted there).
    is_welcome = models.BooleanField(
        "welcome thread",
        default=False,
        help_text="Newcomers are asked to introduce themselves here. Only one thread should be marked.",
    )
    accepted_answer = models.ForeignKey(
        "forum.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tags = TaggableManager(through=TaggedThread, blank=True)
    vote_count = models.PositiveIntegerField(default=0)
    suggestion_status = models.CharField(
        max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN, blank=True
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The number of the thread's latest ThreadEvent, taken under a row lock (forum.live).
    event_seq = models.PositiveBigIntegerField(default=0, editable=False)

    objects = SearchableQuerySet.as_manager()

    # The index is updated from forum.events after commit, never from a signal.
    search_auto_update = False
    search_fields = [
        index.SearchField("title", boost=2),
        index.AutocompleteField("title"),
        index.FilterField("category_id"),
        index.FilterField("is_hidden"),
        index.FilterField("last_activity_at"),
        index.FilterField("author_id"),
    ]
    # What the search page needs to know about a hit (see search.selectors).
    search_kind = ("discussions", "Discussions")
    search_filters = {"category": "category_id", "author": "author_id", "date": "last_activity_at"}
    search_select_related = ("category", "author__profile", "first_post")
    search_hit_fields = (
        "id",
        "title",
        "last_activity_at",
        "category",
        "category__name",
        "category__slug",
        *_NAME_FIELDS("author"),
        "first_post",
        "first_post__body",
    )

    class Meta:
        ordering = ["-is_pinned", "-last_activity_at", "-id"]
        indexes = [
            models.Index(fields=["category", "is_pinned", "last_activity_at"]),
            models.Index(fields=["last_activity_at"]),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("forum:thread", kwargs={"pk": self.pk})

    @classmethod
    def searchable_for(cls, user):
        from . import permissions

        return permissions.visible_threads(user, cls.objects.all())

    def search_dependents(self):
        """Posts copy their thread's board and hidden state into the search
        index (so the index filters them); when those change, the search
        backend indexes the posts again."""
        return self.posts.select_related("thread")

    def search_hit(self):
        """How the search page shows this thread: its title, board and opening post."""
        return {
            "title": self.title,
            "byline": self.author.display_name,
            "where": self.category.name,
            "where_url": self.category.get_absolute_url(),
            "date": self.last_activity_at,
            "text": self.first_post.body if self.first_post_id else "",
            "group": self.pk,
        }

    @classmethod
    def search_facet_labels(cls, name, values, user):
        return _facet_labels(name, values, user)

    @property
    def group_name(self):
        return f"forum.thread.{self.pk}"

    @property
    def search_description(self):
        return f"Discussion in {self.category.name}"


class ThreadEvent(models.Model):
    """One change to a thread, numbered in order, so a live page that missed
    broadcasts (a network drop, a restart, a lost message) can ask for what it
    missed. Carries ids only: what a member receives is rendered for them."""

    class Kind(models.TextChoices):
        POST_CREATED = "post.created", "Post created"
        POST_EDITED = "post.edited", "Post edited"
        POST_HIDDEN = "post.hidden", "Post hidden"
        POST_RESTORED = "post.restored", "Post restored"
        POST_DELETED = "post.deleted", "Post deleted"
        POST_REACTIONS = "post.reactions", "Reaction counts"
        THREAD_LOCKED = "thread.locked", "Thread locked"
        THREAD_UNLOCKED = "thread.unlocked", "Thread unlocked"
        THREAD_PINNED = "thread.pinned", "Thread pinned"
        THREAD_UNPINNED = "thread.unpinned", "Thread unpinned"
        THREAD_MOVED = "thread.moved", "Thread moved"
        THREAD_MERGED = "thread.merged", "Thread merged"
        THREAD_ANSWER = "thread.answer", "Accepted answer"
        THREAD_VOTES = "thread.votes", "Votes"
        THREAD_STATUS = "thread.status", "Suggestion status"

    thread = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="events")
    sequence = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # A plain id: the post may move to another thread or be gone when replayed.
    post_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["thread", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["thread", "sequence"], name="forum_threadevent_thread_sequence")
        ]

    def __str__(self):
        return f"{self.thread_id}#{self.sequence} {self.kind}"


class Post(index.Indexed, models.Model):
    """One message in a thread. ``body`` is the author's Markdown; ``body_html``
    is what it renders to after sanitising, kept so pages never render."""

    class Status(models.TextChoices):
        VISIBLE = "visible", "Visible"
        HELD = "held", "Held for review"
        HIDDEN = "hidden", "Hidden"

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    body_html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VISIBLE)
    # Who hid it and why: the author deleting their own post or a moderator.
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.CharField(max_length=500, blank=True)
    privacy_findings = models.JSONField(default=list, blank=True)
    submission_token = models.CharField(max_length=64, blank=True)
    helpful_count = models.PositiveIntegerField(default=0)
    thanks_count = models.PositiveIntegerField(default=0)

    objects = SearchableQuerySet.as_manager()

    search_auto_update = False
    search_fields = [
        index.SearchField("body"),
        index.FilterField("status"),
        index.FilterField("thread_id"),
        index.RelatedFields("thread", [index.FilterField("category_id"), index.FilterField("is_hidden")]),
        index.FilterField("author_id"),
        index.FilterField("created_at"),
    ]
    search_kind = ("discussions", "Discussions")
    search_filters = {"category": "thread__category_id", "author": "author_id", "date": "created_at"}
    search_select_related = ("thread__category", "author__profile")
    search_hit_fields = (
        "id",
        "body",
        "created_at",
        "thread",
        "thread__title",
        "thread__first_post",
        "thread__category",
        "thread__category__name",
        "thread__category__slug",
        *_NAME_FIELDS("author"),
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "status", "id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "submission_token"],
                condition=~models.Q(submission_token=""),
                name="forum_post_unique_submission",
            )
        ]

    def __str__(self):
        return f"Post {self.pk} in {self.thread_id}"

    def get_absolute_url(self):
        return reverse("forum:post", kwargs={"pk": self.pk})

    @classmethod
    def searchable_for(cls, user):
        from . import permissions

        return permissions.visible_posts(user, cls.objects.all())

    def search_hit(self):
        """A post is shown as what it is: its thread's title and its author, not "a reply"."""
        return {
            "title": self.thread.title,
            "byline": self.author.display_name,
            "where": self.thread.category.name,
            "where_url": self.thread.category.get_absolute_url(),
            "date": self.created_at,
            "text": self.body,
            "group": self.thread_id,
            "is_reply": self.pk != self.thread.first_post_id,
        }

    @classmethod
    def search_facet_labels(cls, name, values, user):
        return _facet_labels(name, values, user)

    @property
    def title(self):
        return f"Reply in “{self.thread.title}”"

    @property
    def search_description(self):
        return f"By {self.author.display_name}"

    @property
    def is_visible(self):
        return self.status == self.Status.VISIBLE


def _facet_labels(name, values, user):
    """Names for the category and author facets of the search page, in one
    query; with ``values=None``, the categories ``user`` may see."""
    if name == "category":
        from . import permissions

        categories = permissions.visible_categories(user)
        if values is not None:
            categories = categories.filter(pk__in=values)
        return dict(categories.values_list("pk", "name"))
    if name == "author":
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(pk__in=values).select_related("profile")
        return {user.pk: user.display_name for user in users}
    return {}


class PostRevision(models.Model):
    """The text of a post before an edit. Moderators can read every revision."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    title = models.CharField(max_length=200, blank=True)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"PostRevision {self.pk}"


class Reaction(models.Model):
    class Kind(models.TextChoices):
        HELPFUL = "helpful", "Helpful"
        THANKS = "thanks", "Thanks"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user", "kind"], name="forum_reaction_unique")]

    def __str__(self):
        return f"Reaction {self.pk}"


class Bookmark(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="forum_bookmark_unique")]

    def __str__(self):
        return f"Bookmark {self.pk}"


class ThreadSubscription(models.Model):
    """A member watching (notified of every reply) or muting a thread."""

    class Level(models.TextChoices):
        WATCHING = "watching", "Watching"
        MUTED = "muted", "Muted"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="subscriptions")
    level = models.CharField(max_length=10, choices=Level.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="forum_threadsub_unique")]

    def __str__(self):
        return f"ThreadSubscription {self.pk}"


class CategorySubscription(models.Model):
    """A member watching a category: notified of every new thread and reply in it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="subscriptions")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "category"], name="forum_catsub_unique")]

    def __str__(self):
        return f"CategorySubscription {self.pk}"


class ThreadRead(models.Model):
    """How far a member has read a thread: the highest post id they were shown."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    last_read_post_id = models.BigIntegerField(default=0)
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="forum_threadread_unique")]

    def __str__(self):
        return f"ThreadRead {self.pk}"


class Vote(models.Model):
    """A member's vote for a suggestion (a thread in a suggestions category)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="forum_vote_unique")]

    def __str__(self):
        return f"Vote {self.pk}"


class Flag(models.Model):
    """A member telling moderators that a post needs attention."""

    class Reason(models.TextChoices):
        PRIVACY = "privacy", "It could identify a victim"
        INAPPROPRIATE = "inappropriate", "It is inappropriate or abusive"
        SPAM = "spam", "It is spam or advertising"
        OTHER = "other", "Something else"

    class Resolution(models.TextChoices):
        OPEN = "", "Open"
        APPROVED = "approved", "Post approved"
        HIDDEN = "hidden", "Post hidden"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    details = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, default="", blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "reporter"], condition=models.Q(resolution=""), name="forum_flag_open_unique"
            )
        ]

    def __str__(self):
        return f"Flag {self.pk}"


class Suspension(models.Model):
    """A member barred from writing in discussions until ``ends_at`` (None: for good)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Suspension {self.pk}"


class MemberHandle(models.Model):
    """The @handle other members use to mention someone."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_handle"
    )
    handle = models.CharField(max_length=150, unique=True)
    handle_lower = models.CharField(max_length=150, unique=True)

    def __str__(self):
        return f"@{self.handle}"
