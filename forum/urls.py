from django.urls import path

from . import views

app_name = "forum"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.thread_start, name="thread_start"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("c/<slug:slug>/new/", views.thread_create, name="thread_create"),
    path("c/<slug:slug>/watch/", views.category_watch, name="category_watch"),
    path("t/<int:pk>/", views.thread, name="thread"),
    path("t/<int:pk>/unread/", views.thread_unread, name="thread_unread"),
    path("t/<int:pk>/reply/", views.reply, name="reply"),
    path("t/<int:pk>/subscription/", views.thread_subscription, name="thread_subscription"),
    path("t/<int:pk>/bookmark/", views.thread_bookmark, name="thread_bookmark"),
    path("t/<int:pk>/vote/", views.thread_vote, name="thread_vote"),
    path("t/<int:pk>/moderate/", views.thread_moderate, name="thread_moderate"),
    path("p/<int:pk>/", views.post_permalink, name="post"),
    path("p/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("p/<int:pk>/delete/", views.post_delete, name="post_delete"),
    path("p/<int:pk>/restore/", views.post_restore, name="post_restore"),
    path("p/<int:pk>/react/", views.post_react, name="post_react"),
    path("p/<int:pk>/flag/", views.post_flag, name="post_flag"),
    path("p/<int:pk>/accept/", views.post_accept, name="post_accept"),
    path("p/<int:pk>/history/", views.post_history, name="post_history"),
    path("p/<int:pk>/redact/", views.post_redact, name="post_redact"),
    path("bookmarks/", views.bookmarks, name="bookmarks"),
    path("members.json", views.mention_suggestions, name="mention_suggestions"),
    path("preview/", views.post_preview, name="post_preview"),
]
