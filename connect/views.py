"""Views of the membership domain. Thin: forms validate, services write,
selectors read."""

import hashlib

from allauth.mfa.recovery_codes import views as recovery_code_views
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import fragments, permissions, ratelimit, selectors, services
from .actors import Actor
from .adapters import INVITATION_SESSION_KEY
from .decorators import public
from .forms import DirectoryFilterForm, MembershipRequestForm, ProfileForm, TaskForceFilterForm
from .home import member_actions, profile_sections
from .models import ContactVisibility
from .privacy_guard import PrivacyCheckRequired

DIRECTORY_PAGE_SIZE = 24
REQUESTS_PER_HOUR = 5


@public
@require_http_methods(["GET", "POST"])
def membership_request(request):
    form = MembershipRequestForm(request.POST or None)
    if request.method == "POST" and form.is_bot:
        # Look like success so the bot learns nothing; store nothing.
        return redirect("connect:membership_request_done")
    if request.method == "POST" and not ratelimit.consume(
        "membership_request", ratelimit.client_key(request), limit=REQUESTS_PER_HOUR, period=3600
    ):
        return render(
            request,
            "connect/membership_request.html",
            {"form": form, "rate_limited": True},
            status=429,
        )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_request_create(data=form.cleaned_data, origin=Actor.from_request(request))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("connect:membership_request_done")
    return render(request, "connect/membership_request.html", {"form": form})


@public
@require_GET
def membership_request_done(request):
    return render(request, "connect/membership_request_done.html")


@public
@never_cache
@require_GET
def invitation_accept(request, token):
    try:
        invitation = services.invitation_resolve(token)
    except services.InvitationError as exc:
        status = 410 if exc.code in {"expired", "used", "revoked"} else 404
        return render(request, "connect/invitation_invalid.html", {"error": exc}, status=status)
    if request.user.is_authenticated:
        messages.info(request, "You are already signed in.")
        return redirect("/")
    request.session[INVITATION_SESSION_KEY] = token
    messages.success(
        request, f"Welcome, {invitation.request.first_name}. Choose a password to create your account."
    )
    return redirect("account_signup")


@public
@never_cache
@require_http_methods(["GET", "POST"])
def login_unlock(request, token):
    """The link emailed to the owner of a locked account. Opening it only
    shows a button, so mail scanners that follow links use nothing up."""
    from . import lockout

    if request.method == "POST":
        if not ratelimit.consume("login_unlock", ratelimit.client_key(request), limit=10, period=3600):
            return render(request, "connect/login_unlock.html", {"rate_limited": True}, status=429)
        try:
            lockout.lockout_unlock_by_owner(token=token, request=request)
        except lockout.UnlockError as exc:
            return render(request, "connect/login_unlock.html", {"error": exc.message}, status=400)
        messages.success(request, "Sign-in is unlocked. You can sign in again now.")
        return redirect("account_login")
    return render(request, "connect/login_unlock.html")


@public
@require_GET
def privacy(request):
    return render(request, "connect/privacy.html")


@public
@require_GET
def terms(request):
    return render(request, "connect/terms.html")


@public
@require_GET
def accessibility(request):
    return render(request, "connect/accessibility.html")


@public
@never_cache
@require_GET
def health(request):
    """For load balancers and monitoring: each dependency's state (see
    connect.health); 503 only when the database does not answer."""
    from .health import health_report

    body, status = health_report()
    return JsonResponse(body, status=status)


@require_GET
def member_directory(request):
    """The directory: its filter form, counts and cards are cached once per
    permission signature and choice of filters (``directory_listing``) until
    a profile, account, task force or area of expertise changes; what each
    card offers the viewer (write to them) is asked on every request."""
    listing = directory_listing(request)
    actions = member_actions(request, [ListedMember(*card) for card in listing["cards"]])
    return render(
        request,
        "connect/member_directory.html",
        # The listing is the template's own rendering, escaped as it rendered;
        # the actions are escaped by format_html.
        {"listing": mark_safe(fragments.fill(listing["html"], _action_fills(listing["cards"], actions)))},  # noqa: S308
    )


class ListedMember:
    """A profile on a cached directory page, as the ``register_member_actions``
    hooks are given it: its id, its member's id and its name."""

    __slots__ = ("pk", "user_id", "display_name")

    def __init__(self, pk, user_id, display_name):
        self.pk, self.user_id, self.display_name = pk, user_id, display_name


def _action_marker(profile_pk):
    return f"{fragments.marker('directory-actions')}:{profile_pk}:"


def _action_fills(cards, actions):
    fills = {}
    for pk, _user_id, _name in cards:
        buttons = format_html_join(
            "",
            '<a class="usa-button usa-button--outline" href="{}"{}>{}</a>',
            (
                (
                    action["url"],
                    format_html(' aria-label="{}"', action["aria_label"]) if action.get("aria_label") else "",
                    action["label"],
                )
                for action in actions.get(pk, [])
            ),
        )
        fills[_action_marker(pk)] = (
            format_html('<div class="usa-card__footer">{}</div>', buttons) if buttons else ""
        )
    return fills


def directory_listing(request):
    """``{"html", "cards"}``: the directory's content for the request's filters,
    with a marker where each card's actions go, and ``(profile pk, user id,
    name)`` of each card. Every active member sees the same profiles
    (``permissions.visible_profiles``), so the listing is shared by all who have
    the same ``directory_signature``; ``connect.fragments.PROFILES`` moves on
    with every save or delete of a profile, account, task force or expertise."""
    signature = permissions.directory_signature(request.user)
    params = sorted((key, value) for key, values in request.GET.lists() for value in values)
    digest = hashlib.sha256(repr(params).encode()).hexdigest()[:32]

    def build():
        form = DirectoryFilterForm(request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        profiles = selectors.member_directory(user=request.user, **{k: v for k, v in filters.items() if v})
        page = Paginator(profiles, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
        for profile in page.object_list:
            profile.actions_marker = _action_marker(profile.pk)
        query = request.GET.copy()
        query.pop("page", None)
        html = render_to_string(
            "connect/member_directory_listing.html",
            {"form": form, "page_obj": page, "querystring": query.urlencode()},
        )
        return {"html": html, "cards": [(p.pk, p.user_id, p.display_name) for p in page.object_list]}

    # user 0: a generation of nobody's, which never moves; the viewer's part
    # is the signature in the name.
    return fragments.get_or_build(
        f"directory:{signature}:{digest}", user_id=0, depends=[fragments.PROFILES], build=build
    )


@require_GET
def member_detail(request, pk):
    profile = selectors.member_profile(user=request.user, pk=pk)
    if profile is None:
        raise Http404
    return render(
        request,
        "connect/member_profile.html",
        {
            "profile": profile,
            "show_email": permissions.can_see_contact(request.user, profile, profile.email_visibility),
            "show_phone": profile.phone
            and permissions.can_see_contact(request.user, profile, profile.phone_visibility),
            "can_edit": permissions.can_edit_profile(request.user, profile),
            "text_visible": permissions.can_see_profile_text(request.user, profile),
            "can_release": permissions.can_release_profile(request.user, profile),
            "sections": profile_sections(request, profile),
        },
    )


@require_http_methods(["GET", "POST"])
def profile_edit(request):
    profile = getattr(request.user, "profile", None)
    if profile is None:
        raise Http404
    form = ProfileForm(request.POST or None, instance=profile)
    extra = {}
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = services.profile_update(
                    profile=profile,
                    form=form,
                    origin=Actor.from_request(request),
                    confirm_privacy=form.cleaned_data["confirm_privacy"],
                )
            except PrivacyCheckRequired as exc:
                extra = {"privacy_findings": exc.findings}
            else:
                if saved.privacy_findings:
                    messages.info(request, "Your profile is saved and waiting for a moderator to review it.")
                else:
                    messages.success(request, "Your profile was saved.")
                return redirect(profile.get_absolute_url())
        else:
            messages.error(request, "Your profile was not saved. Correct the fields marked below.")
    return render(
        request,
        "connect/profile_edit.html",
        {"form": form, "profile": profile, "visibility_choices": ContactVisibility.choices, **extra},
        status=400 if extra else 200,
    )


@require_POST
def profile_release(request, pk):
    profile = selectors.member_profile(user=request.user, pk=pk)
    if profile is None or not permissions.can_release_profile(request.user, profile):
        raise Http404
    services.profile_release(moderator=request.user, profile=profile, origin=Actor.from_request(request))
    messages.success(request, "The profile is visible to members again.")
    return redirect(profile.get_absolute_url())


@require_GET
def guidelines(request):
    """A stable address for the community guidelines (the footer's link),
    wherever moderators keep the page in the tree."""
    from .models import GuidelinesPage
    from .permissions import visible_pages

    page = visible_pages(request.user, GuidelinesPage.objects.all()).first()
    if page is None:
        raise Http404
    return redirect(page.url)


@require_POST
def welcome_dismiss(request):
    services.welcome_dismiss(user=request.user)
    messages.success(
        request, "The welcome checklist is hidden. The community guidelines stay linked in the footer."
    )
    return redirect("/")


@require_GET
def taskforce_list(request):
    form = TaskForceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    return render(
        request,
        "connect/taskforce_list.html",
        {
            "form": form,
            "filtered": any(filters.values()),
            "task_forces": selectors.taskforce_list(
                user=request.user, state=filters.get("state", ""), region=filters.get("region", "")
            ),
        },
    )


@require_GET
def taskforce_detail(request, slug):
    task_force = get_object_or_404(selectors.taskforce_list(user=request.user), slug=slug)
    members = selectors.taskforce_members(user=request.user, task_force=task_force)
    page = Paginator(members, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    from .home import task_force_sections

    return render(
        request,
        "connect/taskforce_detail.html",
        {
            "task_force": task_force,
            "page_obj": page,
            "sections": task_force_sections(request, task_force),
            "directory_url": reverse("connect:member_directory") + f"?task_force={task_force.pk}",
        },
    )


def _audited_recovery_codes(view, action):
    """allauth's recovery-code pages, with an audit event each time the codes
    are actually shown or downloaded (allauth sends no signal for that)."""

    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            from .audit import audit_record

            audit_record(action=action, request=request, target=request.user)
        return response

    wrapped.__doc__ = view.__doc__
    wrapped.__name__ = getattr(view, "__name__", action)
    return wrapped


mfa_view_recovery_codes = _audited_recovery_codes(
    recovery_code_views.view_recovery_codes, "mfa.recovery_codes_viewed"
)
mfa_download_recovery_codes = _audited_recovery_codes(
    recovery_code_views.download_recovery_codes, "mfa.recovery_codes_downloaded"
)


# --- Sign-in doors other packages mount --------------------------------------
# Wagtail and the Django admin each mount their own LoginView, password views
# and account page. None of them knows about MFA, the lockout, rate limits or
# the audit log, so their URLs lead here instead: to allauth, or nowhere. The
# list is in docs/deployment.md ("Which views authenticate") and
# tests/connect/test_signin_paths.py fails if a new one appears.


def _safe_next(request):
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def signin_elsewhere(request, *args, **kwargs):
    """Every login URL (Wagtail admin, Wagtail front end, Django admin) sends
    the visitor to allauth's, keeping a safe ``next``. Nothing posted here is
    read."""
    target = reverse("account_login")
    next_url = _safe_next(request)
    if next_url:
        target = f"{target}?{urlencode({'next': next_url})}"
    return HttpResponseRedirect(target)


def signout_elsewhere(request, *args, **kwargs):
    """Wagtail's sign-out button posts here; 307 carries the POST (and its
    CSRF token) to allauth's logout, so the member is signed out in one step."""
    return HttpResponseRedirect(reverse("account_logout"), status=307)


def password_change_elsewhere(request, *args, **kwargs):
    """Passwords change through allauth only: it asks for the current
    password, ends other sessions and writes the audit log."""
    return HttpResponseRedirect(reverse("account_change_password"))


def password_reset_elsewhere(request, *args, **kwargs):
    return HttpResponseRedirect(reverse("account_reset_password"))


def account_elsewhere(request, *args, **kwargs):
    """Wagtail's account page would let a moderator rename their account (the
    legal name the privacy guard trusts); the member's own profile is the one
    place for what members may change."""
    return HttpResponseRedirect(reverse("connect:profile_edit"))


def page_password_disabled(request, *args, **kwargs):
    """Wagtail's shared page and collection passwords are not used: every
    page and document is already members-only, and a shared password is no
    one's account."""
    raise Http404


def _wagtail_site(request):
    """The Wagtail site that answers ``request``'s host and port, cached for
    every visitor until a site or a page is saved or deleted (``fragments.SITES``,
    ``fragments.PAGES``: the site holds a copy of its root page, which is what a
    plain ``Page`` root serves its children from): Wagtail otherwise asks for it
    on every page it serves."""
    from django.http.request import split_domain_port
    from wagtail.models import Site

    hostname = split_domain_port(request._get_raw_host())[0]
    # Hashed: the host is what the client sent (ALLOWED_HOSTS has vetted it by now).
    where = hashlib.sha256(f"{hostname}:{request.get_port()}".encode()).hexdigest()[:32]
    return fragments.get_or_build(
        f"wagtail-site:{where}",
        user_id=0,  # the same for everyone: user 0's generation never moves
        depends=[fragments.SITES, fragments.PAGES],
        build=lambda: (Site._find_for_request(request),),  # a tuple: a cached None reads as missing
    )[0]


def page_serve(request, path):
    """Wagtail's page view, with the request's site looked up in the cache."""
    from wagtail.views import serve

    if not hasattr(request, "_wagtail_site"):
        request._wagtail_site = _wagtail_site(request)
    return serve(request, path)
