"""StreamField blocks of a spotlight's body."""

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock


class PullQuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(max_length=600)
    attribution = blocks.CharBlock(required=False, max_length=200)

    class Meta:
        icon = "openquote"
        template = "blocks/pull_quote_block.html"


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    alt_text = blocks.CharBlock(
        max_length=250, help_text="Describe the image for people who cannot see it (required)."
    )
    caption = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "image"
        template = "blocks/image_block.html"


class KeyPracticesBlock(blocks.StructBlock):
    heading = blocks.CharBlock(default="Key practices", max_length=120)
    practices = blocks.ListBlock(blocks.CharBlock(max_length=400), min_num=1)

    class Meta:
        icon = "list-ul"
        template = "blocks/key_practices_block.html"


class ContactBlock(blocks.StructBlock):
    name = blocks.CharBlock(max_length=150)
    role = blocks.CharBlock(required=False, max_length=150)
    agency = blocks.CharBlock(required=False, max_length=200)
    email = blocks.EmailBlock(required=False)


class ContactsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(default="Contacts", max_length=120)
    contacts = blocks.ListBlock(ContactBlock(), min_num=1)

    class Meta:
        icon = "user"
        template = "blocks/contacts_block.html"


def visible_among(user, pages):
    """The pages the reader may see, in their order. Each page type is asked
    through its own ``searchable_for`` rule, so this app need not know it."""
    by_type = {}
    for page in pages:
        if page is not None:
            by_type.setdefault(type(page), []).append(page.pk)
    allowed = set()
    for model, ids in by_type.items():
        allowed.update(model.searchable_for(user).filter(pk__in=ids).values_list("pk", flat=True))
    return [page for page in pages if page is not None and page.pk in allowed]


class RelatedResourcesBlock(blocks.StructBlock):
    heading = blocks.CharBlock(default="Related resources", max_length=120)
    resources = blocks.ListBlock(blocks.PageChooserBlock(page_type="resources.ResourcePage"), min_num=1)

    def get_context(self, value, parent_context=None):
        # The template lists only what the reader may see: a resource chosen
        # here may since have been unpublished, restricted or expired.
        context = super().get_context(value, parent_context=parent_context)
        request = (parent_context or {}).get("request")
        context["visible_resources"] = visible_among(getattr(request, "user", None), value["resources"])
        return context

    class Meta:
        icon = "doc-full"
        template = "blocks/related_resources_block.html"


class DiscussionLinkBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=200)
    url = blocks.CharBlock(
        max_length=300, help_text="The discussion's address on this site, e.g. /discussions/threads/12/"
    )

    def clean(self, value):
        value = super().clean(value)
        url = value.get("url", "")
        # Only links within the community: a spotlight must not send members elsewhere unawares.
        if not url.startswith("/discussions/") or "//" in url:
            raise blocks.StructBlockValidationError(
                block_errors={"url": ValidationError("Give an address starting with /discussions/.")}
            )
        return value


class RelatedDiscussionsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(default="Related discussions", max_length=120)
    discussions = blocks.ListBlock(DiscussionLinkBlock(), min_num=1)

    class Meta:
        icon = "group"
        template = "blocks/related_discussions_block.html"


class SpotlightBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        features=["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"],
        template="blocks/paragraph_block.html",
    )
    pull_quote = PullQuoteBlock()
    image = ImageBlock()
    key_practices = KeyPracticesBlock()
    contacts = ContactsBlock()
    related_resources = RelatedResourcesBlock()
    related_discussions = RelatedDiscussionsBlock()
